using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Quotas;

/// <summary>What only the Redis ledger has: its key layout, expiry, rebuilding lost counters, and reservation leases.</summary>
public sealed partial class RedisQuotaLedgerTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Noon);
    private readonly FakeBaseline _baseline = new();
    private ConnectionMultiplexer _redis = null!;
    private IDatabase _db = null!;
    private RedisQuotaLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _redis = await server.ConnectAsync();
        _db = _redis.GetDatabase();
        _ledger = Ledger(_redis);
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Reserve_FirstUse_KeepsBothWindowsUnderTheKeysHashTagUntilADayAfterTheyClose()
    {
        var key = Guid.NewGuid();

        await ReserveAsync(key, new QuotaLimits(1000, null, null, null), prompt: 10, generates: false);

        var day = $"oq:{{k:{key}}}:d:2026-11-22";
        var month = $"oq:{{k:{key}}}:m:2026-11";
        Assert.Equal(day, RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22)));
        Assert.Equal(["req", "1", "tok", "10"], (await _db.HashGetAllAsync(day)).SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() }));
        Assert.Equal(["req", "1", "tok", "10"], (await _db.HashGetAllAsync(month)).SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() }));

        // Midnight is 12 h away, the month's end 8.5 days; each is kept one day longer.
        AssertNear(TimeSpan.FromHours(12 + 24), await TimeToLiveAsync(day));
        AssertNear(TimeSpan.FromDays(8.5 + 1), await TimeToLiveAsync(month));
    }

    [Fact]
    public async Task Reserve_Allowed_RecordsTheReservationUnderTheKeysHashTagUntilSettled()
    {
        var key = Guid.NewGuid();
        var reservations = RedisQuotaLedger.ReservationsKey(key);
        var expiries = RedisQuotaLedger.ExpiriesKey(key);

        var reservation = (await ReserveAsync(key, new QuotaLimits(1000, null, null, null), prompt: 10, generates: false)).Reservation!;

        Assert.StartsWith($"oq:{{k:{key}}}:", reservations, StringComparison.Ordinal);
        Assert.StartsWith($"oq:{{k:{key}}}:", expiries, StringComparison.Ordinal);
        Assert.Equal("10 2026-11-22 2026-11", (string?)(await _db.HashGetAllAsync(reservations)).Single().Value);
        Assert.Equal(1, await _db.SortedSetLengthAsync(expiries));
        AssertNear(TimeSpan.FromDays(8.5 + 1), await TimeToLiveAsync(reservations));

        await _ledger.SettleAsync(reservation, 10, refund: false, CancellationToken.None);

        Assert.False(await _db.KeyExistsAsync(reservations));
        Assert.False(await _db.KeyExistsAsync(expiries));
        Assert.Equal(0, _ledger.HeldCount);
    }

    [Fact]
    public async Task Reserve_ShortWindows_KeptUnderTheKeysHashTagOneWindowLengthAfterTheyClose()
    {
        var key = Guid.NewGuid();

        var reservation = (await ReserveAsync(key, new QuotaLimits(null, null, null, null, RequestsPerMinute: 5, TokensPerHour: 1000), prompt: 10, generates: false)).Reservation!;

        // 12:00 in Berlin is 11:00 UTC; the ids are the windows' UTC starts as ISO 8601 intervals.
        var minute = $"oq:{{k:{key}}}:mi:2026-11-22T11:00Z/PT1M";
        var hour = $"oq:{{k:{key}}}:h:2026-11-22T11:00Z/PT1H";
        Assert.Equal(["req", "1", "tok", "10"], (await _db.HashGetAllAsync(minute)).SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() }));
        Assert.Equal(["req", "1", "tok", "10"], (await _db.HashGetAllAsync(hour)).SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() }));
        AssertNear(TimeSpan.FromMinutes(2), await TimeToLiveAsync(minute));
        AssertNear(TimeSpan.FromHours(2), await TimeToLiveAsync(hour));
        Assert.Equal(
            "10 2026-11-22T11:00Z/PT1M 2026-11-22T11:00Z/PT1H 2026-11-22 2026-11",
            (string?)await _db.HashGetAsync(RedisQuotaLedger.ReservationsKey(key), (await _db.HashKeysAsync(RedisQuotaLedger.ReservationsKey(key))).Single()));
        await _ledger.SettleAsync(reservation, 10, refund: false, CancellationToken.None);
    }

    [Fact]
    public async Task Reserve_KeyWithoutShortLimits_KeepsNoMinuteOrHourWindows()
    {
        var key = Guid.NewGuid();

        await ReserveAsync(key, new QuotaLimits(100, null, null, null, MaxConcurrentRequests: 3));

        var names = new List<string>();
        await foreach (var name in _redis.GetServers().Single().KeysAsync(pattern: $"oq:{{k:{key}}}:*"))
        {
            names.Add(name!);
        }

        Assert.Equal(
            [RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22)), RedisQuotaLedger.MonthKey(key, new DateOnly(2026, 11, 22)), RedisQuotaLedger.ExpiriesKey(key), RedisQuotaLedger.ReservationsKey(key)],
            names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reserve_Repeated_RedisRunsTheScriptBySha()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(1000, null, 100, null, RequestsPerMinute: 50, MaxConcurrentRequests: 10);
        var settled = (await ReserveAsync(key, limits)).Reservation!;
        await _ledger.SettleAsync(settled, 5, refund: false, CancellationToken.None);
        var (evals, evalShas) = await ScriptCallsAsync();

        for (var i = 0; i < 5; i++)
        {
            var reservation = (await ReserveAsync(key, limits)).Reservation!;
            await _ledger.SettleAsync(reservation, 5, refund: false, CancellationToken.None);
        }

        var (evalsAfter, evalShasAfter) = await ScriptCallsAsync();
        Assert.Equal(evals, evalsAfter);
        Assert.Equal(evalShas + 10, evalShasAfter);
    }

    [Fact]
    public async Task Renew_ManyRequestsOfOneKey_OneScriptCallForAll()
    {
        var key = Guid.NewGuid();
        var ledger = Ledger(_redis);
        var reservations = new List<Reservation>();
        for (var i = 0; i < 5; i++)
        {
            reservations.Add((await ledger.ReserveAsync(Request(key, QuotaLimits.Unlimited), CancellationToken.None)).Reservation!);
        }

        var before = await ScriptCallsAsync();
        await ledger.RenewAsync(CancellationToken.None);
        var after = await ScriptCallsAsync();

        Assert.Equal(before.Evals + before.EvalShas + 1, after.Evals + after.EvalShas);
        foreach (var reservation in reservations)
        {
            await ledger.SettleAsync(reservation, 5, refund: false, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Reserve_LeaseOfAnInFlightRequestRunsOut_ItsSlotComesBack()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1);

        // A proxy that dies holding a slot: its reservation is never renewed nor settled.
        var dead = Ledger(_redis, TimeSpan.FromSeconds(1));
        Assert.True((await dead.ReserveAsync(Request(key, limits), CancellationToken.None)).Allowed);
        Assert.Equal(new Dictionary<Guid, long> { [key] = 1 }, await RedisQuotaLedger.ReadInFlightAsync(_db, [key]));
        var alive = Ledger(_redis);
        Assert.Equal(QuotaLimitKind.MaxConcurrentRequests, (await alive.ReserveAsync(Request(key, limits), CancellationToken.None)).Refusal?.Limit);

        ReserveResult? served = null;
        await WaitUntilAsync(async () => (served = await alive.ReserveAsync(Request(key, limits), CancellationToken.None)).Allowed);

        await alive.SettleAsync(served!.Reservation!, 5, refund: false, CancellationToken.None);
        Assert.Empty(await RedisQuotaLedger.ReadInFlightAsync(_db, [key]));
    }

    [Fact]
    public async Task Reserve_AfterFlushAll_ShortWindowsRebuiltFromTheRecordedEvents()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, null, null, RequestsPerMinute: 3);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        _baseline.ShortWindowUsage[key] = new UsageTotals(2, 10, 0);

        await _db.ExecuteAsync("FLUSHALL");

        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.Equal(QuotaLimitKind.RequestsPerMinute, (await ReserveAsync(key, limits)).Refusal?.Limit);
    }

    [Fact]
    public async Task Reserve_ReplyNeverSeen_TokensGivenBackOnceTheLeaseRunsOut()
    {
        var key = Guid.NewGuid();
        var day = RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22));
        var limits = new QuotaLimits(1000, null, 10, null);
        var lease = TimeSpan.FromSeconds(1);
        await using var relay = new ReplyDroppingRelay(server.Host, server.Port);
        await using var impatient = await ConnectionMultiplexer.ConnectAsync(
            new ConfigurationOptions { EndPoints = { { server.Host, relay.Port } }, AsyncTimeout = 300, SyncTimeout = 300 });
        var lost = Ledger(impatient, lease);
        var patient = Ledger(_redis, lease);
        var served = (await patient.ReserveAsync(Request(key, limits, prompt: 1, generates: false), CancellationToken.None)).Reservation!;
        await patient.SettleAsync(served, 1, refund: false, CancellationToken.None);

        // Redis runs the reserve, but its reply never reaches the client: the tokens are held, and nobody knows the
        // reservation to settle it.
        relay.DropReplies = true;
        await Assert.ThrowsAsync<RedisTimeoutException>(() => lost.ReserveAsync(Request(key, limits, prompt: 500, generates: false), CancellationToken.None).AsTask());
        relay.DropReplies = false;
        await WaitUntilAsync(async () => (long)await _db.HashGetAsync(day, "tok") == 501);
        Assert.Equal(0, lost.HeldCount);

        // Once the lease has run out, the next reserve of that key gives them back, and the request with them. Each
        // probe is settled at once, so it stays counted however long the probing takes.
        var probes = 0;
        WindowStatus? tokens = null;
        await WaitUntilAsync(async () =>
        {
            probes++;
            var probe = await patient.ReserveAsync(Request(key, limits, prompt: 0, generates: false), CancellationToken.None);
            await patient.SettleAsync(probe.Reservation!, 0, refund: false, CancellationToken.None);
            tokens = probe.Status.Tokens;
            return tokens?.Remaining == 999;
        });

        Assert.Equal(new WindowStatus(1000, 999, 12 * 3600), tokens);
        Assert.Equal(1 + probes, (long)await _db.HashGetAsync(day, "req"));
    }

    [Fact]
    public async Task Renew_RequestStillRunning_KeepsItsReservationPastTheLease()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(1000, null, null, null);
        var ledger = Ledger(_redis, TimeSpan.FromSeconds(2));
        var running = (await ledger.ReserveAsync(Request(key, limits, prompt: 100, generates: false), CancellationToken.None)).Reservation!;

        // Two and a half leases long, renewed more often than the lease runs out, as the renewal service does.
        for (var round = 0; round < 10; round++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            await ledger.RenewAsync(CancellationToken.None);
        }

        var probe = await ledger.ReserveAsync(Request(key, limits, prompt: 0, generates: false), CancellationToken.None);
        Assert.Equal(900, probe.Status.Tokens?.Remaining);
        await ledger.SettleAsync(running, 40, refund: false, CancellationToken.None);
        Assert.Equal(960, (await ledger.ReserveAsync(Request(key, limits, prompt: 0, generates: false), CancellationToken.None)).Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Settle_AfterTheLeaseRanOut_ChargesWhatWasUsed()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(1000, null, null, null);
        var ledger = Ledger(_redis, TimeSpan.FromMilliseconds(300));
        var late = (await ledger.ReserveAsync(Request(key, limits, prompt: 100, generates: false), CancellationToken.None)).Reservation!;
        await WaitUntilAsync(async () =>
            (await ledger.ReserveAsync(Request(key, limits, prompt: 0, generates: false), CancellationToken.None)).Status.Tokens?.Remaining == 1000);

        await ledger.SettleAsync(late, 30, refund: false, CancellationToken.None);

        Assert.Equal(970, (await ledger.ReserveAsync(Request(key, limits, prompt: 0, generates: false), CancellationToken.None)).Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Reserve_AfterFlushAll_RebuildsFromTheDatabaseAndStillRefuses()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, 2, null);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(2, 20, 40), new UsageTotals(2, 20, 40));

        await _db.ExecuteAsync("FLUSHALL");

        var refused = await ReserveAsync(key, limits);
        Assert.Equal(QuotaLimitKind.DailyRequests, refused.Refusal?.Limit);
        Assert.Equal("2", (string?)await _db.HashGetAsync(RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22)), "req"));
    }

    [Fact]
    public async Task Reserve_ManyConcurrentFirstUses_SeedTheBaselineOnce()
    {
        var key = Guid.NewGuid();
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(3, 30, 0), new UsageTotals(7, 70, 0));
        var limits = new QuotaLimits(null, null, 100, null);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => ReserveAsync(key, limits, prompt: 1, generates: false))));

        Assert.Equal(23, (long)await _db.HashGetAsync(RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22)), "req"));
        Assert.Equal(27, (long)await _db.HashGetAsync(RedisQuotaLedger.MonthKey(key, new DateOnly(2026, 11, 22)), "req"));
    }

    [Fact]
    public async Task Reserve_ExistingWindows_DoesNotReadTheDatabase()
    {
        var key = Guid.NewGuid();
        await ReserveAsync(key, QuotaLimits.Unlimited);
        var loads = _baseline.Loads;

        await ReserveAsync(key, QuotaLimits.Unlimited);
        await ReserveAsync(key, QuotaLimits.Unlimited);

        Assert.Equal(loads, _baseline.Loads);
    }

    [Fact]
    public async Task Reserve_AfterScriptFlush_StillCounts()
    {
        var key = Guid.NewGuid();
        await ReserveAsync(key, QuotaLimits.Unlimited);

        await _db.ExecuteAsync("SCRIPT", "FLUSH");

        Assert.True((await ReserveAsync(key, new QuotaLimits(null, null, 2, null))).Allowed);
        Assert.False((await ReserveAsync(key, new QuotaLimits(null, null, 2, null))).Allowed);
    }

    [Fact]
    public async Task Settle_WindowGone_DoesNotRecreateItWithoutExpiry()
    {
        var key = Guid.NewGuid();
        var reservation = (await ReserveAsync(key, QuotaLimits.Unlimited)).Reservation!;
        await _db.KeyDeleteAsync(RedisQuotaLedger.DayKey(key, reservation.Day));

        await _ledger.SettleAsync(reservation, 50, refund: false, CancellationToken.None);

        Assert.False(await _db.KeyExistsAsync(RedisQuotaLedger.DayKey(key, reservation.Day)));
    }

    [Fact]
    public async Task FailModeClosed_RedisDown_RefusesWithinTheTimeoutThenFastWhileDown()
    {
        await using var own = await RedisServerFixture.StartAsync();
        await using var fixture = await FailModeAsync(own, QuotaFailMode.Closed);
        await fixture.Ledger.ReserveAsync(Request(Guid.NewGuid(), QuotaLimits.Unlimited), CancellationToken.None);
        await own.StopAsync();

        var started = TimeProvider.System.GetTimestamp();
        await Assert.ThrowsAsync<RedisLedgerUnavailableException>(() => fixture.Ledger.ReserveAsync(Request(Guid.NewGuid(), QuotaLimits.Unlimited), CancellationToken.None).AsTask());
        var first = TimeProvider.System.GetElapsedTime(started);
        started = TimeProvider.System.GetTimestamp();
        await Assert.ThrowsAsync<RedisLedgerUnavailableException>(() => fixture.Ledger.ReserveAsync(Request(Guid.NewGuid(), QuotaLimits.Unlimited), CancellationToken.None).AsTask());
        var second = TimeProvider.System.GetElapsedTime(started);

        Assert.True(first < TimeSpan.FromSeconds(3), $"the first refusal took {first}");
        Assert.True(second < TimeSpan.FromMilliseconds(200), $"a refusal during a known outage took {second}");
    }

    [Fact]
    public async Task FailModeOpen_RedisDown_CountsLocallyFromTheDatabaseThenReturnsToRedis()
    {
        await using var own = await RedisServerFixture.StartAsync();
        await using var fixture = await FailModeAsync(own, QuotaFailMode.Open);
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, 3, null);
        Assert.True((await fixture.Ledger.ReserveAsync(Request(key, limits), CancellationToken.None)).Allowed);
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(1, 10, 0), new UsageTotals(1, 10, 0));
        await own.StopAsync();

        var local = await fixture.Ledger.ReserveAsync(Request(key, limits), CancellationToken.None);
        await fixture.Ledger.SettleAsync(local.Reservation!, 10, refund: false, CancellationToken.None);
        Assert.True(local.Allowed);
        Assert.True((await fixture.Ledger.ReserveAsync(Request(key, limits), CancellationToken.None)).Allowed);
        Assert.False((await fixture.Ledger.ReserveAsync(Request(key, limits), CancellationToken.None)).Allowed);

        await own.StartAsync();
        await WaitUntilAsync(() => Task.FromResult(fixture.Connection.IsConnected));
        var shared = await fixture.Ledger.ReserveAsync(Request(key, limits), CancellationToken.None);
        Assert.Equal(2, shared.Status.Requests?.Limit - shared.Status.Requests?.Remaining);
    }

    [Fact]
    public async Task FailModeOpen_SettleWhileRedisIsAway_IsAppliedOnceItIsBack()
    {
        await using var own = await RedisServerFixture.StartAsync();
        await using var fixture = await FailModeAsync(own, QuotaFailMode.Open);
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(1000, null, null, null);
        var reservation = (await fixture.Ledger.ReserveAsync(Request(key, limits, prompt: 100, generates: false), CancellationToken.None)).Reservation!;

        // Redis stops answering without dropping the connection, so the counters survive the outage.
        await using (var admin = await own.ConnectAsync())
        {
            await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", 2500, "ALL");
        }

        await fixture.Ledger.SettleAsync(reservation, 30, refund: false, CancellationToken.None);
        await WaitUntilAsync(async () =>
        {
            try
            {
                await fixture.RedisLedger.RenewAsync(CancellationToken.None);
                return fixture.RedisLedger.HeldCount == 0;
            }
            catch (RedisTimeoutException)
            {
                return false;
            }
        });

        var after = await fixture.RedisLedger.ReserveAsync(Request(key, limits, prompt: 0, generates: false), CancellationToken.None);
        Assert.Equal(970, after.Status.Tokens?.Remaining);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }

    private async Task<(long Evals, long EvalShas)> ScriptCallsAsync()
    {
        var stats = (await _redis.GetServers().Single().InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        static long Calls(string? stat) => stat is null ? 0 : long.Parse(stat.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return (Calls(stats.GetValueOrDefault("cmdstat_eval")), Calls(stats.GetValueOrDefault("cmdstat_evalsha")));
    }

    private static void AssertNear(TimeSpan expected, TimeSpan actual) =>
        Assert.True((expected - actual).Duration() < TimeSpan.FromMinutes(1), $"expected about {expected}, got {actual}");

    private async Task<TimeSpan> TimeToLiveAsync(string key) => (await _db.KeyTimeToLiveAsync(key)) ?? TimeSpan.Zero;

    private QuotaCalendar Calendar() => new(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), _clock);

    private RedisQuotaLedger Ledger(IConnectionMultiplexer redis, TimeSpan? lease = null) => new(
        redis, Calendar(), _baseline, Options.Create(new QuotaOptions()),
        Options.Create(new RedisLedgerOptions { ReservationLease = lease ?? TimeSpan.FromSeconds(30) }), NullLogger<RedisQuotaLedger>.Instance);

    private static ReserveRequest Request(Guid key, QuotaLimits limits, long prompt = 5, bool generates = true) =>
        new(key, limits, prompt, null, generates);

    private Task<ReserveResult> ReserveAsync(Guid key, QuotaLimits limits, long prompt = 5, bool generates = true) =>
        _ledger.ReserveAsync(Request(key, limits, prompt, generates), CancellationToken.None).AsTask();

    private async Task<FailModeFixture> FailModeAsync(RedisServerFixture own, QuotaFailMode mode)
    {
        var connection = await own.ConnectAsync(options =>
        {
            options.AsyncTimeout = options.SyncTimeout = 1000;
            options.AbortOnConnectFail = false;
        });
        var calendar = Calendar();
        var quota = Options.Create(new QuotaOptions());
        var redisLedger = Ledger(connection);
        var ledger = new RedisFailModeLedger(
            redisLedger,
            new RedisOutage(connection, NullLogger<RedisOutage>.Instance),
            calendar, _baseline, quota, Options.Create(new RedisLedgerOptions { FailMode = mode }), _clock,
            NullLogger<RedisFailModeLedger>.Instance);
        return new FailModeFixture(connection, redisLedger, ledger);
    }

    private sealed record FailModeFixture(ConnectionMultiplexer Connection, RedisQuotaLedger RedisLedger, RedisFailModeLedger Ledger) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
