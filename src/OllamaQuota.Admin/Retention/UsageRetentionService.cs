using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Retention;

/// <summary>
/// Applies the <c>usage_retention_days</c> setting: soon after the start and then every hour, deletes the usage events
/// older than that many days (see <see cref="UsageRetention"/>). The setting is read each time, so a change in the UI
/// takes effect at the next run.
/// </summary>
public sealed partial class UsageRetentionService(
    IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, ILogger<UsageRetentionService> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRunDelay = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>One run: deletes what the setting says is too old; returns how many events that was.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        int? days;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            days = await db.Settings.AsNoTracking().Select(s => s.UsageRetentionDays).SingleAsync(cancellationToken);
        }

        if (days is null)
        {
            return 0;
        }

        var cutoff = calendar.UtcNow.AddDays(-days.Value);
        var deleted = await UsageRetention.PruneAsync(contexts, cutoff, UsageRetention.DefaultBatchSize, cancellationToken);
        if (deleted > 0)
        {
            LogPruned(deleted, days.Value, cutoff);
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, calendar.Time);
        try
        {
            await Task.Delay(FirstRunDelay, calendar.Time, stoppingToken);
            do
            {
                try
                {
                    await PruneAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    // The next run tries again; what was deleted stays deleted, batch by batch.
                    LogPruneFailed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
    }

    [LoggerMessage(EventId = 4200, Level = LogLevel.Information,
        Message = "Deleted {Count} usage events older than {Days} days (before {Cutoff:o}); the daily roll-ups are kept")]
    private partial void LogPruned(long count, int days, DateTime cutoff);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "Deleting old usage events failed; the next run tries again")]
    private partial void LogPruneFailed(Exception exception);
}
