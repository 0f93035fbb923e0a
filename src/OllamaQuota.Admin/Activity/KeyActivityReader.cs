using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using StackExchange.Redis;

namespace OllamaQuota.Admin.Activity;

/// <summary>What the keys table shows of each key's use: today and this month, this hour and minute, and in flight now.</summary>
public sealed record KeyActivity(KeyUsage Usage, RecentUsage Recent, long InFlight)
{
    public static readonly KeyActivity None = new(KeyUsage.Zero, RecentUsage.Zero, 0);
}

/// <summary>
/// Reads <see cref="KeyActivity"/> for keys: usage from the database (roll-ups for days and months, usage events for the
/// hour and minute), requests in flight from where the ledger keeps them. In distributed mode that is Redis (the live
/// leases; exact across instances); in embedded mode the ledger lives in the proxy process, which publishes its counts to
/// the database every second (<see cref="InFlightSnapshotWriter"/>), and rows not refreshed for a few seconds are from a
/// proxy that stopped. Either way the numbers reach only the Admin API, behind the admin password; the proxy's public
/// port serves nothing new.
/// </summary>
public sealed class KeyActivityReader(QuotaCalendar calendar, TimeProvider time, IConnectionMultiplexer? redis = null)
{
    public async Task<Dictionary<Guid, KeyActivity>> ReadAsync(
        QuotaDbContext db, IReadOnlyCollection<Guid>? keyIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var now = calendar.UtcNow;
        var usage = await UsageRollups.TotalsAsync(db, calendar.DayOf(now), keyIds, cancellationToken);
        var recent = await UsageRollups.RecentAsync(
            db, calendar.WindowOf(QuotaPeriod.Hour, now), calendar.WindowOf(QuotaPeriod.Minute, now), keyIds, cancellationToken);
        var inFlight = await InFlightAsync(db, keyIds, cancellationToken);
        var activity = new Dictionary<Guid, KeyActivity>();
        foreach (var keyId in usage.Keys.Concat(recent.Keys).Concat(inFlight.Keys).Distinct())
        {
            activity[keyId] = new KeyActivity(
                usage.GetValueOrDefault(keyId, KeyUsage.Zero), recent.GetValueOrDefault(keyId, RecentUsage.Zero), inFlight.GetValueOrDefault(keyId));
        }

        return activity;
    }

    /// <summary>
    /// The same for owners: the usage of the keys each holds now (as the ledger counts an owner), and the sum of their
    /// requests in flight.
    /// </summary>
    public async Task<Dictionary<Guid, KeyActivity>> ReadOwnersAsync(
        QuotaDbContext db, IReadOnlyCollection<Guid>? ownerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var now = calendar.UtcNow;
        var usage = await UsageRollups.OwnerTotalsAsync(db, calendar.DayOf(now), ownerIds, cancellationToken);
        var recent = await UsageRollups.OwnerRecentAsync(
            db, calendar.WindowOf(QuotaPeriod.Hour, now), calendar.WindowOf(QuotaPeriod.Minute, now), ownerIds, cancellationToken);
        var owned = await db.ApiKeys.AsNoTracking()
            .Where(k => k.OwnerId != null && (ownerIds == null || ownerIds.Contains(k.OwnerId!.Value)))
            .Select(k => new { k.Id, OwnerId = k.OwnerId!.Value })
            .ToListAsync(cancellationToken);
        var keyInFlight = owned.Count == 0 ? [] : await InFlightAsync(db, [.. owned.Select(k => k.Id)], cancellationToken);
        var inFlight = owned.GroupBy(k => k.OwnerId).ToDictionary(g => g.Key, g => g.Sum(k => keyInFlight.GetValueOrDefault(k.Id)));
        var activity = new Dictionary<Guid, KeyActivity>();
        foreach (var ownerId in usage.Keys.Concat(recent.Keys).Concat(inFlight.Keys).Distinct())
        {
            activity[ownerId] = new KeyActivity(
                usage.GetValueOrDefault(ownerId, KeyUsage.Zero), recent.GetValueOrDefault(ownerId, RecentUsage.Zero), inFlight.GetValueOrDefault(ownerId));
        }

        return activity;
    }

    private async Task<Dictionary<Guid, long>> InFlightAsync(QuotaDbContext db, IReadOnlyCollection<Guid>? keyIds, CancellationToken cancellationToken)
    {
        if (redis is not null)
        {
            // A key with an owner keeps its leases under the owner's hash tag.
            var keys = await db.ApiKeys.AsNoTracking()
                .Where(k => keyIds == null ? k.IsActive : keyIds.Contains(k.Id))
                .Select(k => new { k.Id, k.OwnerId })
                .ToListAsync(cancellationToken);
            var owners = keys.Where(k => k.OwnerId is not null).ToDictionary(k => k.Id, k => k.OwnerId!.Value);
            return await RedisQuotaLedger.ReadInFlightAsync(redis.GetDatabase(), [.. keys.Select(k => k.Id)], owners);
        }

        var fresh = time.GetUtcNow().UtcDateTime - InFlightSnapshotWriter.Staleness;
        var rows = db.InFlight.AsNoTracking().Where(r => r.UpdatedAt >= fresh);
        if (keyIds is not null)
        {
            rows = rows.Where(r => keyIds.Contains(r.KeyId));
        }

        return await rows.ToDictionaryAsync(r => r.KeyId, r => r.Requests, cancellationToken);
    }
}
