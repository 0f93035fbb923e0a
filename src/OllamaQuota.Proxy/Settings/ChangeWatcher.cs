using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Settings;
using OllamaQuota.Proxy.Keys;
using StackExchange.Redis;

namespace OllamaQuota.Proxy.Settings;

/// <summary>
/// Learns of admin changes by polling the settings row's revision (one small query per interval): when it moves,
/// cached keys are dropped and the settings reloaded. Loads the settings before the proxy takes requests. In
/// distributed mode it also listens on the Admin's Redis channel: a notice drops the cached keys at once and polls
/// right away, and the poll remains the backstop for notices lost while Redis was unreachable (the library subscribes
/// again by itself after a reconnect).
/// </summary>
public sealed partial class ChangeWatcher(
    IDbContextFactory<QuotaDbContext> contexts,
    UpstreamSettings settings,
    KeyCache keys,
    IOptions<ProxyOptions> options,
    ILogger<ChangeWatcher> logger,
    IConnectionMultiplexer? redis = null) : BackgroundService
{
    private static readonly TimeSpan SubscribeRetryDelay = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _wake = new(0);
    private bool _subscribed;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);

        // Subscribed before the first request when Redis is up; otherwise ExecuteAsync keeps trying.
        await TrySubscribeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(PollAsync(stoppingToken), SubscribeUntilDoneAsync(stoppingToken));

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // The poll interval, or less when a change notice arrives.
            await _wake.WaitAsync(options.Value.ChangePollInterval, stoppingToken);
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

        settings.Set(new UpstreamSettingsSnapshot(row.OllamaUrl.TrimEnd('/'), row.DefaultModel, row.Revision, Guardrails.From(row), FairShare.From(row)));
        keys.Clear();
        LogChanged(row.Revision);
    }

    private async Task SubscribeUntilDoneAsync(CancellationToken stoppingToken)
    {
        while (!await TrySubscribeAsync(stoppingToken))
        {
            await Task.Delay(SubscribeRetryDelay, stoppingToken);
        }
    }

    /// <summary>True once subscribed, or when there is nothing to subscribe to (embedded mode).</summary>
    private async Task<bool> TrySubscribeAsync(CancellationToken cancellationToken)
    {
        if (redis is null || _subscribed)
        {
            return true;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await redis.GetSubscriber().SubscribeAsync(RedisKeyChangePublisher.Channel, (_, change) => OnChangeNotice(change!));
            _subscribed = true;
            return true;
        }
        catch (Exception e) when (RedisOutage.IsRedisFailure(e))
        {
            LogSubscribeFailed(e);
            return false;
        }
    }

    // Runs on the library's message loop, so it only drops the keys and wakes the poll, which reloads the settings.
    private void OnChangeNotice(string change)
    {
        keys.Clear();
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }

        LogNotice(change);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Settings revision {Revision} loaded; key cache cleared")]
    private partial void LogChanged(long revision);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Could not read the settings revision; keeping cached keys until their TTL")]
    private partial void LogPollFailed(Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Change notice '{Change}' from the Admin; key cache cleared")]
    private partial void LogNotice(string change);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning,
        Message = "Could not subscribe to admin change notices on Redis; relying on the revision poll and retrying")]
    private partial void LogSubscribeFailed(Exception exception);
}
