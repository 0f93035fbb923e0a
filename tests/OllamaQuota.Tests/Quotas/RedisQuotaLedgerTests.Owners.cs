using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Quotas;

/// <summary>The Redis layout of a key with an owner: one hash tag for both, so that one script checks both.</summary>
public sealed partial class RedisQuotaLedgerTests
{
    [Fact]
    public async Task Reserve_OwnedKey_KeepsTheKeysAndTheOwnersCountersUnderTheOwnersHashTag()
    {
        var (key, owner) = (Guid.NewGuid(), Guid.NewGuid());

        await _ledger.ReserveAsync(Owned(key, new OwnerQuota(owner, 3, QuotaLimits.Unlimited), prompt: 10), CancellationToken.None);

        var tag = $"oq:{{o:{owner}}}:";
        Assert.Equal(
            [
                $"{tag}k:{key}:d:2026-11-22", $"{tag}k:{key}:m:2026-11", $"{tag}k:{key}:reservation-expiries", $"{tag}k:{key}:reservations",
                $"{tag}reservation-expiries", $"{tag}v3:d:2026-11-22", $"{tag}v3:m:2026-11",
            ],
            await NamesAsync($"oq:{{o:{owner}}}:*"));
        Assert.Empty(await NamesAsync($"oq:{{k:{key}}}:*"));
        Assert.Equal("10 2026-11-22 2026-11 v3 2026-11-22 2026-11", (string?)(await _db.HashGetAllAsync($"{tag}k:{key}:reservations")).Single().Value);
        Assert.Equal(["req", "1", "tok", "10"], (await _db.HashGetAllAsync($"{tag}v3:d:2026-11-22")).SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() }));
        Assert.Equal(
            new Dictionary<Guid, long> { [key] = 1 },
            await RedisQuotaLedger.ReadInFlightAsync(_db, [key], new Dictionary<Guid, Guid> { [key] = owner }));
    }

    [Fact]
    public async Task Reserve_KeyThatChangedOwner_KeepsItsWindowsPerChangeAndSaysSoInTheRecord()
    {
        var key = Guid.NewGuid();

        var reservation = (await _ledger.ReserveAsync(
            new ReserveRequest(key, QuotaLimits.Unlimited, 10, null, GeneratesText: false) { OwnerChanges = 2 }, CancellationToken.None)).Reservation!;

        Assert.Equal(
            [$"oq:{{k:{key}}}:c2:d:2026-11-22", $"oq:{{k:{key}}}:c2:m:2026-11", $"oq:{{k:{key}}}:reservation-expiries", $"oq:{{k:{key}}}:reservations"],
            await NamesAsync($"oq:{{k:{key}}}:*"));
        Assert.Equal("10 c2 2026-11-22 2026-11", (string?)(await _db.HashGetAllAsync(RedisQuotaLedger.ReservationsKey(key))).Single().Value);
        await _ledger.SettleAsync(reservation, 10, refund: false, CancellationToken.None);
    }

    [Fact]
    public async Task Reserve_LeaseOfAnotherKeyOfTheOwnerRunsOut_TheOwnersSlotAndTokensComeBack()
    {
        var owner = new OwnerQuota(Guid.NewGuid(), 0, new QuotaLimits(100, null, null, null, MaxConcurrentRequests: 1));
        var (dying, living) = (Guid.NewGuid(), Guid.NewGuid());

        // A proxy that dies holding the owner's only slot and 60 of its 100 tokens, for another of its keys.
        var dead = Ledger(_redis, TimeSpan.FromSeconds(1));
        Assert.True((await dead.ReserveAsync(Owned(dying, owner, prompt: 60), CancellationToken.None)).Allowed);
        Assert.Equal(
            (QuotaLimitKind.MaxConcurrentRequests, QuotaScope.Owner),
            (await _ledger.ReserveAsync(Owned(living, owner, prompt: 10), CancellationToken.None)).Refusal is { } r ? (r.Limit, r.Scope) : default);

        ReserveResult? served = null;
        await WaitUntilAsync(async () => (served = await _ledger.ReserveAsync(Owned(living, owner, prompt: 60), CancellationToken.None)).Allowed);

        Assert.Equal(40, served!.Status.Tokens?.Remaining);
        Assert.Empty(await RedisQuotaLedger.ReadInFlightAsync(_db, [dying], new Dictionary<Guid, Guid> { [dying] = owner.OwnerId }));
        await _ledger.SettleAsync(served.Reservation!, 60, refund: false, CancellationToken.None);
    }

    private static ReserveRequest Owned(Guid key, OwnerQuota owner, long prompt) =>
        new(key, QuotaLimits.Unlimited, prompt, null, GeneratesText: false) { Owner = owner };

    private async Task<List<string>> NamesAsync(string pattern)
    {
        var names = new List<string>();
        await foreach (var name in _redis.GetServers().Single().KeysAsync(pattern: pattern))
        {
            names.Add(name!);
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
