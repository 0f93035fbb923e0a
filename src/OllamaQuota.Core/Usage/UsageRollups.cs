using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Usage;

/// <summary>Reads the daily roll-ups: what the Admin shows and what quota counters are rebuilt from.</summary>
public static class UsageRollups
{
    /// <summary>Today's and this month's totals for each key that has any usage this month.</summary>
    public static async Task<Dictionary<Guid, KeyUsage>> TotalsAsync(
        QuotaDbContext db, DateOnly today, IReadOnlyCollection<Guid>? keyIds, CancellationToken cancellationToken)
    {
        var firstOfMonth = new DateOnly(today.Year, today.Month, 1);
        var rows = db.UsageDaily.AsNoTracking().Where(d => d.Day >= firstOfMonth && d.Day <= today);
        if (keyIds is not null)
        {
            rows = rows.Where(d => keyIds.Contains(d.KeyId));
        }

        var sums = await rows
            .GroupBy(d => new { d.KeyId, IsToday = d.Day == today })
            .Select(g => new
            {
                g.Key.KeyId,
                g.Key.IsToday,
                Requests = g.Sum(d => d.Requests),
                Prompt = g.Sum(d => d.PromptTokens),
                Completion = g.Sum(d => d.CompletionTokens),
                Gpu = g.Sum(d => d.GpuDurationNs),
                Timed = g.Sum(d => d.TimedRequests),
            })
            .ToListAsync(cancellationToken);

        var totals = new Dictionary<Guid, KeyUsage>();
        foreach (var keySums in sums.GroupBy(s => s.KeyId))
        {
            var todays = keySums.FirstOrDefault(s => s.IsToday);
            var todayTotals = todays is null
                ? UsageTotals.Zero
                : new UsageTotals(todays.Requests, todays.Prompt, todays.Completion, todays.Gpu, todays.Timed);
            var month = new UsageTotals(
                keySums.Sum(s => s.Requests), keySums.Sum(s => s.Prompt), keySums.Sum(s => s.Completion),
                keySums.Sum(s => s.Gpu), keySums.Sum(s => s.Timed));
            totals[keySums.Key] = new KeyUsage(todayTotals, month);
        }

        return totals;
    }

    /// <summary>
    /// Each key's usage in the current hour and minute (<paramref name="hour"/> contains <paramref name="minute"/>),
    /// counted from the recorded usage events as the ledger's rebuild counts them; keys without any are left out.
    /// </summary>
    public static async Task<Dictionary<Guid, RecentUsage>> RecentAsync(
        QuotaDbContext db, QuotaWindow hour, QuotaWindow minute, IReadOnlyCollection<Guid>? keyIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var events = db.UsageEvents.AsNoTracking().Where(e => e.CreatedAt >= hour.Start && e.CreatedAt < hour.End);
        if (keyIds is not null)
        {
            events = events.Where(e => keyIds.Contains(e.KeyId));
        }

        var minuteStart = minute.Start;
        var sums = await events
            .GroupBy(e => e.KeyId)
            .Select(g => new
            {
                KeyId = g.Key,
                HourRequests = g.Sum(e => e.StatusCode < 400 ? 1L : 0L),
                HourPrompt = g.Sum(e => (long)e.PromptTokens),
                HourCompletion = g.Sum(e => (long)e.CompletionTokens),
                MinuteRequests = g.Sum(e => e.CreatedAt >= minuteStart && e.StatusCode < 400 ? 1L : 0L),
                MinutePrompt = g.Sum(e => e.CreatedAt >= minuteStart ? (long)e.PromptTokens : 0L),
                MinuteCompletion = g.Sum(e => e.CreatedAt >= minuteStart ? (long)e.CompletionTokens : 0L),
            })
            .ToListAsync(cancellationToken);
        return sums.ToDictionary(
            s => s.KeyId,
            s => new RecentUsage(
                new UsageTotals(s.MinuteRequests, s.MinutePrompt, s.MinuteCompletion),
                new UsageTotals(s.HourRequests, s.HourPrompt, s.HourCompletion)));
    }
}
