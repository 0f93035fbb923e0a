using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Usage across every key over a range of days, from the daily roll-ups only (never the events), summed by one
/// dimension at a time: a breakdown by another dimension (an owner, once keys have one) is one more call of
/// <see cref="SumByAsync{TKey}"/> with its key.
/// </summary>
public static class UsageOverview
{
    /// <summary>The roll-up rows of the days <paramref name="from"/> to <paramref name="to"/>, both included.</summary>
    public static IQueryable<UsageDaily> Days(QuotaDbContext db, DateOnly from, DateOnly to)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.UsageDaily.AsNoTracking().Where(d => d.Day >= from && d.Day <= to);
    }

    /// <summary>
    /// The sums of <paramref name="rows"/> per value of <paramref name="dimension"/>, the most tokens first (then the
    /// most requests, then the most refusals), at most <paramref name="limit"/> of them when given.
    /// </summary>
    public static async Task<List<UsageSums<TKey>>> SumByAsync<TKey>(
        IQueryable<UsageDaily> rows, Expression<Func<UsageDaily, TKey>> dimension, int? limit, CancellationToken cancellationToken)
    {
        var sums = rows
            .GroupBy(dimension)
            .Select(g => new UsageSums<TKey>
            {
                Key = g.Key,
                Requests = g.Sum(d => d.Requests),
                PromptTokens = g.Sum(d => d.PromptTokens),
                CompletionTokens = g.Sum(d => d.CompletionTokens),
                GpuDurationNs = g.Sum(d => d.GpuDurationNs),
                TimedRequests = g.Sum(d => d.TimedRequests),
                Errors = g.Sum(d => d.Errors),
                RefusedRateLimited = g.Sum(d => d.RefusedRateLimited),
                RefusedUnavailable = g.Sum(d => d.RefusedUnavailable),
            })
            .OrderByDescending(s => s.PromptTokens + s.CompletionTokens)
            .ThenByDescending(s => s.Requests)
            .ThenByDescending(s => s.RefusedRateLimited + s.RefusedUnavailable + s.Errors);
        return await (limit is { } top ? sums.Take(top) : sums).ToListAsync(cancellationToken);
    }
}

/// <summary>Roll-up sums for one value of a dimension (a model, a key, a day).</summary>
public sealed class UsageSums<TKey>
{
    public required TKey Key { get; init; }

    /// <summary>Requests the quotas count (answered without an error status).</summary>
    public long Requests { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>See <see cref="GpuTime"/>; covers <see cref="TimedRequests"/> of the requests.</summary>
    public long GpuDurationNs { get; init; }

    public long TimedRequests { get; init; }

    /// <summary>5xx answers to forwarded requests (<see cref="UsageCounting.IsError"/>).</summary>
    public long Errors { get; init; }

    /// <summary>Refused by the proxy with 429: a quota was used up.</summary>
    public long RefusedRateLimited { get; init; }

    /// <summary>Refused by the proxy with 503: the quota ledger was unreachable.</summary>
    public long RefusedUnavailable { get; init; }
}
