using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Tests.Infrastructure;

public static class TestOwners
{
    /// <summary>A new owner with <paramref name="limits"/>, stored as the Admin stores one; returns its id.</summary>
    public static async Task<Guid> CreateAsync(QuotaDbContext db, QuotaLimits limits)
    {
        var owner = new Owner { Id = Guid.NewGuid(), Name = "team", CreatedAt = DateTime.UtcNow };
        foreach (var kind in QuotaLimitKindExtensions.All)
        {
            ApiKeyLimits.Set(owner, kind, limits.Amount(kind));
        }

        db.Owners.Add(owner);
        await db.SaveChangesAsync();
        return owner.Id;
    }
}
