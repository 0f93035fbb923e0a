using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;

namespace OllamaQuota.Proxy.Keys;

/// <summary>
/// Key records by hash, in memory. Unknown hashes are remembered briefly too, so a client retrying a bad key does
/// not reach the database each time. Admin changes clear the cache (<see cref="ChangeWatcher"/>); the TTL is the
/// backstop if a notice is missed.
/// </summary>
public sealed class KeyCache(IDbContextFactory<QuotaDbContext> contexts, TimeProvider time, IOptions<ProxyOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async ValueTask<CachedKey?> FindAsync(string keyHash, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(keyHash, out var cached) && cached.ExpiresAt > now)
        {
            return cached.Key;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.KeyHash == keyHash)
            .Select(k => new CachedKey(
                k.Id, k.IsActive, k.ExpiresAt, new QuotaLimits(k.DailyTokens, k.MonthlyTokens, k.DailyRequests, k.MonthlyRequests)))
            .FirstOrDefaultAsync(cancellationToken);

        var ttl = key is null ? options.Value.NegativeCacheTtl : options.Value.KeyCacheTtl;
        _entries[keyHash] = new Entry(key, now + ttl);
        return key;
    }

    public void Clear() => _entries.Clear();

    private sealed record Entry(CachedKey? Key, DateTimeOffset ExpiresAt);
}
