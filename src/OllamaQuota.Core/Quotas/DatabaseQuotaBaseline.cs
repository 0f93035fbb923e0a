using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Core.Quotas;

/// <summary>The baseline from the <c>usage_daily</c> roll-ups.</summary>
public sealed class DatabaseQuotaBaseline(IDbContextFactory<QuotaDbContext> contexts) : IQuotaBaseline
{
    public async Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var totals = await UsageRollups.TotalsAsync(db, today, [keyId], cancellationToken);
        return totals.GetValueOrDefault(keyId, KeyUsage.Zero);
    }
}
