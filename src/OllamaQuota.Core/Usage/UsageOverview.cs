using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Usage across every key over a range of days, from the roll-ups only (never the events), summed by one dimension at
/// a time with <see cref="SumByAsync{TRow, TKey}"/>. Each read takes the coarsest grain that has its dimension
/// (<see cref="UsageRollupGrains"/>): per day and model for totals and models, per month and key for a month's keys.
/// </summary>
public static class UsageOverview
{
    /// <summary>The per-key roll-up rows of the days <paramref name="from"/> to <paramref name="to"/>, both included.</summary>
    public static IQueryable<UsageDaily> Days(QuotaDbContext db, DateOnly from, DateOnly to)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.UsageDaily.AsNoTracking().Where(d => d.Day >= from && d.Day <= to);
    }

    /// <summary>The per-model roll-up rows (across keys) of the days <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static IQueryable<UsageModelDaily> ModelDays(QuotaDbContext db, DateOnly from, DateOnly to)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.UsageModelDaily.AsNoTracking().Where(d => d.Day >= from && d.Day <= to);
    }

    /// <summary>The per-key roll-up rows (across models) of the month that starts on <paramref name="firstOfMonth"/>.</summary>
    public static IQueryable<UsageKeyMonthly> KeyMonth(QuotaDbContext db, DateOnly firstOfMonth)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.UsageKeyMonthly.AsNoTracking().Where(m => m.Month == firstOfMonth);
    }

    /// <summary>
    /// <paramref name="rows"/> per key, each with the id of the owner its key holds now: null for a key on its own, and
    /// for one no longer in <c>api_keys</c>. Attributed as an owner's quota is (<see cref="UsageRollups"/>).
    /// </summary>
    public static IQueryable<OwnedUsage> WithOwners<TRow>(QuotaDbContext db, IQueryable<TRow> rows, Expression<Func<TRow, Guid>> keyId)
        where TRow : IUsageMeasures
    {
        ArgumentNullException.ThrowIfNull(db);
        return rows.LeftJoin(
            db.ApiKeys.AsNoTracking(),
            keyId,
            k => k.Id,
            (d, k) => new OwnedUsage
            {
                OwnerId = k == null ? null : k.OwnerId,
                Requests = d.Requests,
                PromptTokens = d.PromptTokens,
                CompletionTokens = d.CompletionTokens,
                GpuDurationNs = d.GpuDurationNs,
                TimedRequests = d.TimedRequests,
                Errors = d.Errors,
                RefusedRateLimited = d.RefusedRateLimited,
                RefusedUnavailable = d.RefusedUnavailable,
            });
    }

    /// <summary>
    /// The sums of <paramref name="rows"/> per value of <paramref name="dimension"/>, the most tokens first (then the
    /// most requests, then the most refusals), at most <paramref name="limit"/> of them when given.
    /// </summary>
    public static async Task<List<UsageSums<TKey>>> SumByAsync<TRow, TKey>(
        IQueryable<TRow> rows, Expression<Func<TRow, TKey>> dimension, int? limit, CancellationToken cancellationToken)
        where TRow : IUsageMeasures
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

/// <summary>A roll-up row's sums with the owner its key holds now (<see cref="UsageOverview.WithOwners{TRow}"/>).</summary>
public sealed class OwnedUsage : IUsageMeasures
{
    public Guid? OwnerId { get; init; }
    public long Requests { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    public long GpuDurationNs { get; init; }
    public long TimedRequests { get; init; }
    public long Errors { get; init; }
    public long RefusedRateLimited { get; init; }
    public long RefusedUnavailable { get; init; }
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
