using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Deletes usage events older than a cut-off, a batch at a time, each batch its own short statement (and so its own
/// transaction): the writers' inserts never wait long behind it, and the oldest events go first, through the
/// (created_at, id) index. The daily roll-ups are never touched: quotas, the overview and the charts keep their history.
/// </summary>
public static class UsageRetention
{
    public const int DefaultBatchSize = 10_000;

    /// <summary>The most days a retention setting may keep: a hundred years, beyond which "forever" (null) says it.</summary>
    public const int MostDays = 36_500;

    /// <summary>Why <paramref name="days"/> is not a retention setting, or null when it is (null itself is: keep all).</summary>
    public static string? Check(long? days) =>
        days is null or (>= 1 and <= MostDays) ? null : $"must be a whole number of days from 1 to {MostDays}, or null to keep every event";

    /// <summary>Deletes every event created before <paramref name="cutoff"/>; returns how many.</summary>
    public static async Task<long> PruneAsync(
        IDbContextFactory<QuotaDbContext> contexts, DateTime cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        long deleted = 0;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var batch = await db.Database.ExecuteSqlRawAsync(
                """
                DELETE FROM usage_events WHERE id IN
                  (SELECT id FROM usage_events WHERE created_at < {0} ORDER BY created_at LIMIT {1})
                """,
                [cutoff, batchSize],
                cancellationToken);
            deleted += batch;
            if (batch < batchSize)
            {
                return deleted;
            }
        }
    }
}
