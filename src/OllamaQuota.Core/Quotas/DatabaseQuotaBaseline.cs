using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The baseline from the database: days and months from the <c>usage_daily</c> roll-ups, minutes and hours from the
/// <c>usage_events</c> of that window (indexed by key and time). Events still waiting in the batch writer are not
/// there yet, so a rebuilt short window can be short by the last flush interval's requests.
/// </summary>
public sealed class DatabaseQuotaBaseline(IDbContextFactory<QuotaDbContext> contexts) : IQuotaBaseline
{
    public async Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var totals = await UsageRollups.TotalsAsync(db, today, [keyId], cancellationToken);
        return totals.GetValueOrDefault(keyId, KeyUsage.Zero);
    }

    public async Task<UsageTotals> LoadWindowAsync(Guid keyId, QuotaWindow window, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sums = await db.UsageEvents.AsNoTracking()
            .Where(e => e.KeyId == keyId && e.CreatedAt >= window.Start && e.CreatedAt < window.End)
            .GroupBy(e => 1)
            .Select(g => new
            {
                // Counted as the roll-ups count (UsageCounting.CountsAsRequest): refunded requests carry an error status.
                Requests = g.LongCount(e => e.StatusCode < 400),
                Prompt = g.Sum(e => (long)e.PromptTokens),
                Completion = g.Sum(e => (long)e.CompletionTokens),
            })
            .FirstOrDefaultAsync(cancellationToken);
        return sums is null ? UsageTotals.Zero : new UsageTotals(sums.Requests, sums.Prompt, sums.Completion);
    }
}
