using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Tests.Quotas;

/// <summary>An owner's limits: across all of its keys, in the same reserve as each key's own, on every ledger.</summary>
public abstract partial class LedgerContractTests
{
    [Theory]
    [InlineData(QuotaLimitKind.RequestsPerMinute, 60)]
    [InlineData(QuotaLimitKind.RequestsPerHour, 3600)]
    [InlineData(QuotaLimitKind.DailyRequests, 12 * 3600)]
    [InlineData(QuotaLimitKind.MonthlyRequests, 8.5 * 24 * 3600)]
    public async Task Reserve_OwnerRequestLimitReachedAcrossTwoKeys_RefusesEitherKeyNamingTheOwner(QuotaLimitKind kind, double resetSeconds)
    {
        var owner = Owner(Limits(kind, 3));
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.True((await ReserveOwnedAsync(first, QuotaLimits.Unlimited, owner)).Allowed);
        Assert.True((await ReserveOwnedAsync(second, QuotaLimits.Unlimited, owner)).Allowed);
        Assert.True((await ReserveOwnedAsync(first, QuotaLimits.Unlimited, owner)).Allowed);

        var refused = await ReserveOwnedAsync(second, QuotaLimits.Unlimited, owner);

        Assert.Equal(new QuotaRefusal(kind, 3, (long)resetSeconds) { Scope = QuotaScope.Owner }, refused.Refusal);
        Assert.Equal($"owner.{kind.ToWire()}", refused.Refusal!.Name);
        Assert.Contains("owner of this API key", refused.Refusal.Message, StringComparison.Ordinal);
        Assert.False((await ReserveOwnedAsync(first, QuotaLimits.Unlimited, owner)).Allowed);
    }

    [Theory]
    [InlineData(QuotaLimitKind.TokensPerMinute)]
    [InlineData(QuotaLimitKind.TokensPerHour)]
    [InlineData(QuotaLimitKind.DailyTokens)]
    [InlineData(QuotaLimitKind.MonthlyTokens)]
    public async Task Reserve_OwnerTokenLimitUsedUpAcrossTwoKeys_RefusesNamingTheOwner(QuotaLimitKind kind)
    {
        var owner = Owner(Limits(kind, 100));
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.True((await ReserveOwnedAsync(first, QuotaLimits.Unlimited, owner, prompt: 60, generates: false)).Allowed);

        var refused = await ReserveOwnedAsync(second, QuotaLimits.Unlimited, owner, prompt: 41, generates: false);
        var fits = await ReserveOwnedAsync(second, QuotaLimits.Unlimited, owner, prompt: 40, generates: false);

        Assert.Equal((kind, QuotaScope.Owner), (refused.Refusal!.Limit, refused.Refusal.Scope));
        Assert.True(fits.Allowed);
        Assert.Equal(0, fits.Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Reserve_OwnerTokenRoomTighterThanTheKeys_BoundsTheCompletionAllowance()
    {
        var owner = Owner(new QuotaLimits(40, null, null, null));

        var reserved = (await ReserveOwnedAsync(Guid.NewGuid(), new QuotaLimits(1000, null, null, null), owner, prompt: 10)).Reservation!;

        Assert.Equal((30L, true, 40L), (reserved.CompletionAllowance!.Value, reserved.Clamped, reserved.ReservedTokens));
    }

    [Fact]
    public async Task Reserve_KeyLimitTighterThanTheOwners_RefusesNamingTheKey()
    {
        var owner = Owner(new QuotaLimits(null, null, 10, null));
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, 1, null);
        Assert.True((await ReserveOwnedAsync(key, limits, owner)).Allowed);

        var refused = await ReserveOwnedAsync(key, limits, owner);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.DailyRequests, 1, 12 * 3600), refused.Refusal);
        Assert.True((await ReserveOwnedAsync(Guid.NewGuid(), limits, owner)).Allowed);
    }

    [Fact]
    public async Task Reserve_KeyMinuteAndOwnerDayBothRefuse_NamesTheOwnersDayWhichResetsLast()
    {
        var owner = Owner(new QuotaLimits(null, null, 1, null));
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, null, null, RequestsPerMinute: 1);
        Assert.True((await ReserveOwnedAsync(key, limits, owner)).Allowed);

        var refused = await ReserveOwnedAsync(key, limits, owner);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.DailyRequests, 1, 12 * 3600) { Scope = QuotaScope.Owner }, refused.Refusal);
    }

    [Fact]
    public async Task Reserve_OwnerMaxConcurrentReachedAcrossTwoKeys_RefusedUntilOneIsSettled()
    {
        var owner = Owner(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 2));
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var held = (await ReserveOwnedAsync(first, QuotaLimits.Unlimited, owner)).Reservation!;
        Assert.True((await ReserveOwnedAsync(second, QuotaLimits.Unlimited, owner)).Allowed);

        var refused = await ReserveOwnedAsync(first, QuotaLimits.Unlimited, owner);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.MaxConcurrentRequests, 2, 1) { Scope = QuotaScope.Owner }, refused.Refusal);
        await _ledger.SettleAsync(held, 5, refund: false, CancellationToken.None);
        var third = await ReserveOwnedAsync(second, QuotaLimits.Unlimited, owner);
        Assert.True(third.Allowed);
        Assert.Equal(new LimitStatus(QuotaLimitKind.MaxConcurrentRequests, 2, 0, 0, 0) { Scope = QuotaScope.Owner }, third.Limits.Single());
    }

    [Fact]
    public async Task Reserve_KeyAndOwnerLimits_ReportsBothAndTheTightestAcrossThemForTheOpenAiHeaders()
    {
        var owner = Owner(new QuotaLimits(null, null, 3, null, MaxConcurrentRequests: 5));

        var reserved = await ReserveOwnedAsync(Guid.NewGuid(), new QuotaLimits(null, null, 10, null, RequestsPerMinute: 5), owner);

        Assert.Equal(
            [
                new LimitStatus(QuotaLimitKind.RequestsPerMinute, 5, 4, 60, 60),
                new LimitStatus(QuotaLimitKind.DailyRequests, 10, 9, 24 * 3600, 12 * 3600),
                new LimitStatus(QuotaLimitKind.DailyRequests, 3, 2, 24 * 3600, 12 * 3600) { Scope = QuotaScope.Owner },
                new LimitStatus(QuotaLimitKind.MaxConcurrentRequests, 5, 4, 0, 0) { Scope = QuotaScope.Owner },
            ],
            reserved.Limits);
        Assert.Equal(new WindowStatus(3, 2, 12 * 3600), reserved.Status.Requests);
    }

    [Fact]
    public async Task Reserve_OwnerFirstUse_CountsFromTheUsageOfTheKeysItHolds()
    {
        var owner = Owner(new QuotaLimits(null, null, 5, null, RequestsPerMinute: 3));
        _baseline.OwnerUsage[owner.OwnerId] = new KeyUsage(new UsageTotals(3, 30, 0), new UsageTotals(3, 30, 0));
        _baseline.OwnerShortWindowUsage[owner.OwnerId] = new UsageTotals(2, 20, 0);

        var first = await ReserveOwnedAsync(Guid.NewGuid(), QuotaLimits.Unlimited, owner);

        Assert.Equal(new WindowStatus(3, 0, 60), first.Status.Requests);
        Assert.Equal(QuotaLimitKind.RequestsPerMinute, (await ReserveOwnedAsync(Guid.NewGuid(), QuotaLimits.Unlimited, owner)).Refusal?.Limit);
    }

    [Fact]
    public async Task Reserve_OwnerMembershipChanged_OwnersWindowsRebuiltAndTheKeysKeepTheirCounts()
    {
        // A key with three requests moves from one owner to another: the database's usage follows it.
        var (oldOwner, newOwner) = (Owner(new QuotaLimits(null, null, 10, null)), Owner(new QuotaLimits(null, null, 5, null)));
        var key = Guid.NewGuid();
        var keyLimits = new QuotaLimits(null, null, 10, null);
        for (var i = 0; i < 3; i++)
        {
            var reservation = (await ReserveOwnedAsync(key, keyLimits, oldOwner)).Reservation!;
            await _ledger.SettleAsync(reservation, 5, refund: false, CancellationToken.None);
        }

        var recorded = new KeyUsage(new UsageTotals(3, 15, 0), new UsageTotals(3, 15, 0));
        _baseline.Usage[key] = recorded;
        _baseline.OwnerUsage[newOwner.OwnerId] = recorded;
        var (oldOwnerAfter, newOwnerAfter) = (oldOwner with { KeysVersion = 1 }, newOwner with { KeysVersion = 1 });

        var moved = await ReserveOwnedAsync(key, keyLimits, newOwnerAfter);
        var left = await ReserveOwnedAsync(Guid.NewGuid(), QuotaLimits.Unlimited, oldOwnerAfter);

        Assert.Equal(
            [
                new LimitStatus(QuotaLimitKind.DailyRequests, 10, 6, 24 * 3600, 12 * 3600),
                new LimitStatus(QuotaLimitKind.DailyRequests, 5, 1, 24 * 3600, 12 * 3600) { Scope = QuotaScope.Owner },
            ],
            moved.Limits);
        Assert.Equal(new WindowStatus(10, 9, 12 * 3600), left.Status.Requests);
    }

    [Fact]
    public async Task Reserve_KeyMovedAwayAndBack_KeepsTheCountsMadeWhileItWasAway()
    {
        var key = Guid.NewGuid();
        var keyLimits = new QuotaLimits(null, null, 10, null, RequestsPerMinute: 10);
        var owner = Owner(QuotaLimits.Unlimited);
        for (var i = 0; i < 2; i++)
        {
            await SettleAsync(await ReserveMovedAsync(key, keyLimits, null, ownerChanges: 0));
        }

        // Moved to the owner (its first change of owner), three more; the database records all five.
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(2, 10, 0), new UsageTotals(2, 10, 0));
        _baseline.ShortWindowUsage[key] = new UsageTotals(2, 10, 0);
        for (var i = 0; i < 3; i++)
        {
            await SettleAsync(await ReserveMovedAsync(key, keyLimits, owner with { KeysVersion = 1 }, ownerChanges: 1));
        }

        _baseline.Usage[key] = new KeyUsage(new UsageTotals(5, 25, 0), new UsageTotals(5, 25, 0));
        _baseline.ShortWindowUsage[key] = new UsageTotals(5, 25, 0);

        // And back on its own: what it used with the owner still counts against its own limits.
        var back = await ReserveMovedAsync(key, keyLimits, null, ownerChanges: 2);

        Assert.Equal(
            [
                new LimitStatus(QuotaLimitKind.RequestsPerMinute, 10, 4, 60, 60),
                new LimitStatus(QuotaLimitKind.DailyRequests, 10, 4, 24 * 3600, 12 * 3600),
            ],
            back.Limits);
    }

    [Fact]
    public async Task Settle_ReservedBeforeTheKeyMoved_GivesBackTheOldOwnersInFlightSlot()
    {
        var oldOwner = Owner(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1));
        var newOwner = Owner(QuotaLimits.Unlimited) with { KeysVersion = 1 };
        var key = Guid.NewGuid();
        var running = (await ReserveOwnedAsync(key, QuotaLimits.Unlimited, oldOwner)).Reservation!;
        Assert.True((await ReserveOwnedAsync(key, QuotaLimits.Unlimited, newOwner)).Allowed);

        await _ledger.SettleAsync(running, 5, refund: false, CancellationToken.None);

        Assert.True((await ReserveOwnedAsync(Guid.NewGuid(), QuotaLimits.Unlimited, oldOwner with { KeysVersion = 1 })).Allowed);
    }

    [Theory]
    [InlineData(QuotaLimitKind.DailyRequests)]
    [InlineData(QuotaLimitKind.RequestsPerMinute)]
    [InlineData(QuotaLimitKind.MaxConcurrentRequests)]
    public async Task Reserve_200ConcurrentOverTwoKeysOfOneOwner_ExactlyTheOwnersLimitAllowed(QuotaLimitKind kind)
    {
        var owner = Owner(Limits(kind, 50));
        Guid[] keys = [Guid.NewGuid(), Guid.NewGuid()];

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => ReserveOwnedAsync(keys[i % 2], QuotaLimits.Unlimited, owner))));

        Assert.Equal(50, results.Count(r => r.Allowed));
        Assert.All(results.Where(r => !r.Allowed), r => Assert.Equal((kind, QuotaScope.Owner), (r.Refusal!.Limit, r.Refusal.Scope)));
    }

    [Fact]
    public async Task Read_AfterReserves_ShowsWhatTheNextReserveDecidesOnAndChangesNothing()
    {
        var owner = Owner(new QuotaLimits(null, null, 10, null, TokensPerMinute: 500));
        var key = Guid.NewGuid();
        var request = new ReserveRequest(key, new QuotaLimits(100, null, null, null), 10, null, false) { Owner = owner };
        await _ledger.ReserveAsync(request, CancellationToken.None);
        await _ledger.ReserveAsync(request, CancellationToken.None);

        var first = await _ledger.ReadAsync(request, CancellationToken.None);
        var second = await _ledger.ReadAsync(request, CancellationToken.None);

        Assert.Equal(
            [
                (QuotaScope.Owner, QuotaPeriod.Minute, new WindowCount(2, 20)),
                (QuotaScope.Key, QuotaPeriod.Day, new WindowCount(2, 20)),
                (QuotaScope.Owner, QuotaPeriod.Day, new WindowCount(2, 20)),
                (QuotaScope.Key, QuotaPeriod.Month, new WindowCount(2, 20)),
                (QuotaScope.Owner, QuotaPeriod.Month, new WindowCount(2, 20)),
            ],
            first.Windows.Zip(first.Counts, (w, c) => (w.Scope, w.Period, c)));
        Assert.Equal(new InFlightCounts(2, 2), first.InFlight);
        Assert.Equal(first.Counts, second.Counts);
        Assert.Equal(new WindowStatus(100, 70, 12 * 3600), (await _ledger.ReserveAsync(request, CancellationToken.None)).Status.Tokens);
    }

    [Fact]
    public async Task Read_FirstUse_ShowsTheRecordedUsage()
    {
        var owner = Owner(QuotaLimits.Unlimited);
        var key = Guid.NewGuid();
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(4, 40, 0), new UsageTotals(7, 70, 0));
        _baseline.OwnerUsage[owner.OwnerId] = new KeyUsage(new UsageTotals(5, 50, 0), new UsageTotals(9, 90, 0));

        var read = await _ledger.ReadAsync(new ReserveRequest(key, QuotaLimits.Unlimited, 1, null, false) { Owner = owner }, CancellationToken.None);

        Assert.Equal([new(4, 40), new(5, 50), new(7, 70), new(9, 90)], read.Counts);
        Assert.Equal(new InFlightCounts(0, 0), read.InFlight);
    }

    private static OwnerQuota Owner(QuotaLimits limits) => new(Guid.NewGuid(), 0, limits);

    private Task<ReserveResult> ReserveMovedAsync(Guid key, QuotaLimits limits, OwnerQuota? owner, long ownerChanges) =>
        _ledger.ReserveAsync(
            new ReserveRequest(key, limits, 5, null, GeneratesText: false) { Owner = owner, OwnerChanges = ownerChanges }, CancellationToken.None).AsTask();

    private Task SettleAsync(ReserveResult reserved) => _ledger.SettleAsync(reserved.Reservation!, 5, refund: false, CancellationToken.None).AsTask();

    private Task<ReserveResult> ReserveOwnedAsync(Guid key, QuotaLimits limits, OwnerQuota owner, long prompt = 5, bool generates = true) =>
        _ledger.ReserveAsync(new ReserveRequest(key, limits, prompt, null, generates) { Owner = owner }, CancellationToken.None).AsTask();
}
