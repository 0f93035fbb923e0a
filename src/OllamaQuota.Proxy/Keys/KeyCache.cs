using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Proxy.Keys;

/// <summary>
/// Key records by hash, in memory. Unknown hashes are remembered briefly too, so a client retrying a bad key does
/// not reach the database each time. Concurrent misses for one hash share one database lookup (single flight), so
/// a burst of requests with a key not yet cached costs one query, not one connection each. Admin changes clear the
/// cache (<see cref="ChangeWatcher"/>); the TTL is the backstop if a notice is missed.
/// </summary>
public sealed class KeyCache(IDbContextFactory<QuotaDbContext> contexts, TimeProvider time, IOptions<ProxyOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<CachedKey?>> _lookups = new(StringComparer.Ordinal);
    private readonly Lock _clearing = new();
    private long _generation;

    public ValueTask<CachedKey?> FindAsync(string keyHash, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(keyHash, out var cached) && cached.ExpiresAt > time.GetUtcNow())
        {
            return ValueTask.FromResult(cached.Key);
        }

        var lookup = new TaskCompletionSource<CachedKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _lookups.GetOrAdd(keyHash, lookup.Task);
        if (shared == lookup.Task)
        {
            _ = LookUpAsync(keyHash, lookup);
        }

        return new ValueTask<CachedKey?>(shared.WaitAsync(cancellationToken));
    }

    public void Clear()
    {
        // Lookups already running may have read the key before the change: they still answer their callers, but
        // neither they nor the entries they would add are shared with later callers.
        lock (_clearing)
        {
            _generation++;
            _lookups.Clear();
            _entries.Clear();
        }
    }

    private async Task LookUpAsync(string keyHash, TaskCompletionSource<CachedKey?> lookup)
    {
        long generation;
        lock (_clearing)
        {
            generation = _generation;
        }

        try
        {
            // Not the first caller's token: the lookup answers every caller waiting on it, and each of them stops
            // waiting on its own token; the command timeout bounds it.
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            // A rotated key answers to its current secret and, within and after its grace period, the one it replaced.
            var record = await db.ApiKeys.AsNoTracking().Include(k => k.Owner)
                .FirstOrDefaultAsync(k => k.KeyHash == keyHash || k.PreviousKeyHash == keyHash, CancellationToken.None);
            var key = record is null ? null : new CachedKey(
                record.Id, record.Name, record.KeyPrefix, record.IsActive, record.DeletedAt != null, record.ExpiresAt,
                record.KeyHash == keyHash ? null : record.PreviousKeyExpiresAt, ApiKeyLimits.Of(record),
                ModelAccess.From(record.AllowedModels), record.AllowedModels ?? [],
                record.Owner is { } owner ? new CachedOwner(owner.Id, owner.Name, owner.KeysVersion, ApiKeyLimits.Of(owner)) : null)
            {
                OwnerChanges = record.OwnerChanges,
            };

            // Stored before the lookup is retired, so that a caller arriving in between finds one or the other.
            var ttl = key is null ? options.Value.NegativeCacheTtl : options.Value.KeyCacheTtl;
            lock (_clearing)
            {
                if (_generation == generation)
                {
                    _entries[keyHash] = new Entry(key, time.GetUtcNow() + ttl);
                }
            }

            _lookups.TryRemove(new KeyValuePair<string, Task<CachedKey?>>(keyHash, lookup.Task));
            lookup.SetResult(key);
        }
        catch (Exception e)
        {
            _lookups.TryRemove(new KeyValuePair<string, Task<CachedKey?>>(keyHash, lookup.Task));
            lookup.SetException(e);
        }
    }

    private sealed record Entry(CachedKey? Key, DateTimeOffset ExpiresAt);
}
