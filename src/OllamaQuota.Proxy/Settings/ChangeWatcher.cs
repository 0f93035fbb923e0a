using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Proxy.Keys;

namespace OllamaQuota.Proxy.Settings;

/// <summary>
/// Learns of admin changes by polling the settings row's revision (one small query per interval): when it moves,
/// cached keys are dropped and the settings reloaded. Loads the settings before the proxy takes requests.
/// </summary>
public sealed partial class ChangeWatcher(
    IDbContextFactory<QuotaDbContext> contexts,
    UpstreamSettings settings,
    KeyCache keys,
    IOptions<ProxyOptions> options,
    ILogger<ChangeWatcher> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ChangePollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPollFailed(e);
            }
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Settings.AsNoTracking().SingleAsync(cancellationToken);
        if (settings.Loaded?.Revision == row.Revision)
        {
            return;
        }

        settings.Set(new UpstreamSettingsSnapshot(row.OllamaUrl.TrimEnd('/'), row.DefaultModel, row.Revision));
        keys.Clear();
        LogChanged(row.Revision);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Settings revision {Revision} loaded; key cache cleared")]
    private partial void LogChanged(long revision);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Could not read the settings revision; keeping cached keys until their TTL")]
    private partial void LogPollFailed(Exception exception);
}
