using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Reads the daily roll-ups and the recent usage events, per key or per owner: what the Admin shows and what quota
/// counters are rebuilt from. An owner's usage is the usage of the keys it holds now (joined through
/// <c>api_keys.owner_id</c>, indexed), so it follows a key that moves.
/// </summary>
public static class UsageRollups
{
    /// <summary>Today's and this month's totals for each key that has any usage this month.</summary>
    public static Task<Dictionary<Guid, KeyUsage>> TotalsAsync(
        QuotaDbContext db, DateOnly today, IReadOnlyCollection<Guid>? keyIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows = db.UsageDaily.AsNoTracking();
        if (keyIds is not null)
        {
            rows = rows.Where(d => keyIds.Contains(d.KeyId));
        }

        return SumDailyAsync(rows.Select(d => new DailyRow
        {
            GroupId = d.KeyId, Day = d.Day, Requests = d.Requests, PromptTokens = d.PromptTokens, CompletionTokens = d.CompletionTokens,
            GpuDurationNs = d.GpuDurationNs, TimedRequests = d.TimedRequests,
        }), today, cancellationToken);
    }

    /// <summary>Today's and this month's totals for each owner whose keys have any usage this month.</summary>
    public static Task<Dictionary<Guid, KeyUsage>> OwnerTotalsAsync(
        QuotaDbContext db, DateOnly today, IReadOnlyCollection<Guid>? ownerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows =
            from d in db.UsageDaily.AsNoTracking()
            join k in OwnedKeys(db, ownerIds) on d.KeyId equals k.Id
            select new DailyRow
            {
                GroupId = k.OwnerId!.Value, Day = d.Day, Requests = d.Requests, PromptTokens = d.PromptTokens,
                CompletionTokens = d.CompletionTokens, GpuDurationNs = d.GpuDurationNs, TimedRequests = d.TimedRequests,
            };
        return SumDailyAsync(rows, today, cancellationToken);
    }

    /// <summary>
    /// Each key's usage in the current hour and minute (<paramref name="hour"/> contains <paramref name="minute"/>),
    /// counted from the recorded usage events as the ledger's rebuild counts them; keys without any are left out.
    /// </summary>
    public static Task<Dictionary<Guid, RecentUsage>> RecentAsync(
        QuotaDbContext db, QuotaWindow hour, QuotaWindow minute, IReadOnlyCollection<Guid>? keyIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var events = db.UsageEvents.AsNoTracking();
        if (keyIds is not null)
        {
            events = events.Where(e => keyIds.Contains(e.KeyId));
        }

        return SumRecentAsync(events.Select(e => new EventRow
        {
            GroupId = e.KeyId, CreatedAt = e.CreatedAt, StatusCode = e.StatusCode, PromptTokens = e.PromptTokens, CompletionTokens = e.CompletionTokens,
        }), hour, minute, cancellationToken);
    }

    /// <summary>Each owner's usage in the current hour and minute, over the keys it holds now.</summary>
    public static Task<Dictionary<Guid, RecentUsage>> OwnerRecentAsync(
        QuotaDbContext db, QuotaWindow hour, QuotaWindow minute, IReadOnlyCollection<Guid>? ownerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var events =
            from e in db.UsageEvents.AsNoTracking()
            join k in OwnedKeys(db, ownerIds) on e.KeyId equals k.Id
            select new EventRow
            {
                GroupId = k.OwnerId!.Value, CreatedAt = e.CreatedAt, StatusCode = e.StatusCode, PromptTokens = e.PromptTokens,
                CompletionTokens = e.CompletionTokens,
            };
        return SumRecentAsync(events, hour, minute, cancellationToken);
    }

    private static IQueryable<ApiKey> OwnedKeys(QuotaDbContext db, IReadOnlyCollection<Guid>? ownerIds)
    {
        var keys = db.ApiKeys.AsNoTracking().Where(k => k.OwnerId != null);
        return ownerIds is null ? keys : keys.Where(k => ownerIds.Contains(k.OwnerId!.Value));
    }

    private static async Task<Dictionary<Guid, KeyUsage>> SumDailyAsync(IQueryable<DailyRow> rows, DateOnly today, CancellationToken cancellationToken)
    {
        var firstOfMonth = new DateOnly(today.Year, today.Month, 1);
        var sums = await rows
            .Where(d => d.Day >= firstOfMonth && d.Day <= today)
            .GroupBy(d => new { d.GroupId, IsToday = d.Day == today })
            .Select(g => new
            {
                g.Key.GroupId,
                g.Key.IsToday,
                Requests = g.Sum(d => d.Requests),
                Prompt = g.Sum(d => d.PromptTokens),
                Completion = g.Sum(d => d.CompletionTokens),
                Gpu = g.Sum(d => d.GpuDurationNs),
                Timed = g.Sum(d => d.TimedRequests),
            })
            .ToListAsync(cancellationToken);

        var totals = new Dictionary<Guid, KeyUsage>();
        foreach (var groupSums in sums.GroupBy(s => s.GroupId))
        {
            var todays = groupSums.FirstOrDefault(s => s.IsToday);
            var todayTotals = todays is null
                ? UsageTotals.Zero
                : new UsageTotals(todays.Requests, todays.Prompt, todays.Completion, todays.Gpu, todays.Timed);
            var month = new UsageTotals(
                groupSums.Sum(s => s.Requests), groupSums.Sum(s => s.Prompt), groupSums.Sum(s => s.Completion),
                groupSums.Sum(s => s.Gpu), groupSums.Sum(s => s.Timed));
            totals[groupSums.Key] = new KeyUsage(todayTotals, month);
        }

        return totals;
    }

    private static async Task<Dictionary<Guid, RecentUsage>> SumRecentAsync(
        IQueryable<EventRow> events, QuotaWindow hour, QuotaWindow minute, CancellationToken cancellationToken)
    {
        var hourStart = hour.Start;
        var hourEnd = hour.End;
        var minuteStart = minute.Start;
        var sums = await events
            .Where(e => e.CreatedAt >= hourStart && e.CreatedAt < hourEnd)
            .GroupBy(e => e.GroupId)
            .Select(g => new
            {
                GroupId = g.Key,
                HourRequests = g.Sum(e => e.StatusCode < 400 ? 1L : 0L),
                HourPrompt = g.Sum(e => (long)e.PromptTokens),
                HourCompletion = g.Sum(e => (long)e.CompletionTokens),
                MinuteRequests = g.Sum(e => e.CreatedAt >= minuteStart && e.StatusCode < 400 ? 1L : 0L),
                MinutePrompt = g.Sum(e => e.CreatedAt >= minuteStart ? (long)e.PromptTokens : 0L),
                MinuteCompletion = g.Sum(e => e.CreatedAt >= minuteStart ? (long)e.CompletionTokens : 0L),
            })
            .ToListAsync(cancellationToken);
        return sums.ToDictionary(
            s => s.GroupId,
            s => new RecentUsage(
                new UsageTotals(s.MinuteRequests, s.MinutePrompt, s.MinuteCompletion),
                new UsageTotals(s.HourRequests, s.HourPrompt, s.HourCompletion)));
    }

    /// <summary>A roll-up row with the id it is summed under: its key's, or its key's owner's.</summary>
    private sealed class DailyRow
    {
        public Guid GroupId { get; init; }
        public DateOnly Day { get; init; }
        public long Requests { get; init; }
        public long PromptTokens { get; init; }
        public long CompletionTokens { get; init; }
        public long GpuDurationNs { get; init; }
        public long TimedRequests { get; init; }
    }

    /// <summary>A usage event with the id it is summed under.</summary>
    private sealed class EventRow
    {
        public Guid GroupId { get; init; }
        public DateTime CreatedAt { get; init; }
        public int StatusCode { get; init; }
        public int PromptTokens { get; init; }
        public int CompletionTokens { get; init; }
    }
}
