using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The baseline from the database: days and months from the <c>usage_daily</c> roll-ups, minutes and hours from the
/// <c>usage_events</c> of that window (indexed by key and time); an owner's through its keys (indexed by owner).
/// Events still waiting in the batch writer are not there yet, so a rebuilt short window can be short by the last
/// flush interval's requests.
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
        var recent = await UsageRollups.RecentAsync(db, window, window, [keyId], cancellationToken);
        return recent.TryGetValue(keyId, out var usage) ? usage.Hour : UsageTotals.Zero;
    }

    public async Task<KeyUsage> LoadOwnerAsync(Guid ownerId, DateOnly today, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var totals = await UsageRollups.OwnerTotalsAsync(db, today, [ownerId], cancellationToken);
        return totals.GetValueOrDefault(ownerId, KeyUsage.Zero);
    }

    public async Task<UsageTotals> LoadOwnerWindowAsync(Guid ownerId, QuotaWindow window, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var recent = await UsageRollups.OwnerRecentAsync(db, window, window, [ownerId], cancellationToken);
        return recent.TryGetValue(ownerId, out var usage) ? usage.Hour : UsageTotals.Zero;
    }
}
