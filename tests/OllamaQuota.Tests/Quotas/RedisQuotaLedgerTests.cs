using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Redis;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Quotas;

/// <summary>What only the Redis ledger has: its key layout, expiry, and rebuilding counters Redis has lost.</summary>
public sealed class RedisQuotaLedgerTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Noon);
    private readonly FakeBaseline _baseline = new();
    private RedisConnection _redis = null!;
    private RedisQuotaLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        _ledger = new RedisQuotaLedger(_redis, Calendar(), _baseline, Options.Create(new QuotaOptions()));
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
        Assert.Equal(["req", "1", "tok", "10"], (await _redis.ExecuteAsync("HGETALL", day)).AsArray().Select(v => v.AsString()));
        Assert.Equal(["req", "1", "tok", "10"], (await _redis.ExecuteAsync("HGETALL", month)).AsArray().Select(v => v.AsString()));

        // Midnight is 12 h away, the month's end 8.5 days; each is kept one day longer.
        AssertNear(TimeSpan.FromHours(12 + 24), await TimeToLiveAsync(day));
        AssertNear(TimeSpan.FromDays(8.5 + 1), await TimeToLiveAsync(month));
    }

    [Fact]
    public async Task Reserve_AfterFlushAll_RebuildsFromTheDatabaseAndStillRefuses()
    {
        var key = Guid.NewGuid();
        var limits = new QuotaLimits(null, null, 2, null);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(2, 20, 40), new UsageTotals(2, 20, 40));

        await _redis.ExecuteAsync("FLUSHALL");

        var refused = await ReserveAsync(key, limits);
        Assert.Equal(QuotaLimitKind.DailyRequests, refused.Refusal?.Limit);
        Assert.Equal("2", (await _redis.ExecuteAsync("HGET", RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22)), "req")).AsString());
    }

    [Fact]
    public async Task Reserve_ManyConcurrentFirstUses_SeedTheBaselineOnce()
    {
        var key = Guid.NewGuid();
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(3, 30, 0), new UsageTotals(7, 70, 0));
        var limits = new QuotaLimits(null, null, 100, null);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => ReserveAsync(key, limits, prompt: 1, generates: false))));

        Assert.Equal(23, (await _redis.ExecuteAsync("HGET", RedisQuotaLedger.DayKey(key, new DateOnly(2026, 11, 22)), "req")).AsInt64());
        Assert.Equal(27, (await _redis.ExecuteAsync("HGET", RedisQuotaLedger.MonthKey(key, new DateOnly(2026, 11, 22)), "req")).AsInt64());
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

        await _redis.ExecuteAsync("SCRIPT", "FLUSH");

        Assert.True((await ReserveAsync(key, new QuotaLimits(null, null, 2, null))).Allowed);
        Assert.False((await ReserveAsync(key, new QuotaLimits(null, null, 2, null))).Allowed);
    }

    [Fact]
    public async Task Settle_WindowGone_DoesNotRecreateItWithoutExpiry()
    {
        var key = Guid.NewGuid();
        var reservation = (await ReserveAsync(key, QuotaLimits.Unlimited)).Reservation!;
        await _redis.ExecuteAsync("DEL", RedisQuotaLedger.DayKey(key, reservation.Day));

        await _ledger.SettleAsync(reservation, 50, refund: false, CancellationToken.None);

        Assert.Equal(0, (await _redis.ExecuteAsync("EXISTS", RedisQuotaLedger.DayKey(key, reservation.Day))).AsInt64());
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
        await WaitUntilAsync(() => fixture.Connection.IsConnected);
        var shared = await fixture.Ledger.ReserveAsync(Request(key, limits), CancellationToken.None);
        Assert.Equal(2, shared.Status.Requests?.Limit - shared.Status.Requests?.Remaining);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }

    private static void AssertNear(TimeSpan expected, TimeSpan actual) =>
        Assert.True((expected - actual).Duration() < TimeSpan.FromMinutes(1), $"expected about {expected}, got {actual}");

    private async Task<TimeSpan> TimeToLiveAsync(string key) => TimeSpan.FromMilliseconds((await _redis.ExecuteAsync("PTTL", key)).AsInt64());

    private QuotaCalendar Calendar() => new(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), _clock);

    private static ReserveRequest Request(Guid key, QuotaLimits limits, long prompt = 5, bool generates = true) =>
        new(key, limits, prompt, null, generates);

    private Task<ReserveResult> ReserveAsync(Guid key, QuotaLimits limits, long prompt = 5, bool generates = true) =>
        _ledger.ReserveAsync(Request(key, limits, prompt, generates), CancellationToken.None).AsTask();

    private async Task<FailModeFixture> FailModeAsync(RedisServerFixture own, QuotaFailMode mode)
    {
        var options = RedisConnectionOptions.Parse(own.ConnectionString);
        options.CommandTimeout = TimeSpan.FromSeconds(1);
        var connection = await RedisConnection.ConnectAsync(options);
        var calendar = Calendar();
        var quota = Options.Create(new QuotaOptions());
        var ledger = new RedisFailModeLedger(
            new RedisQuotaLedger(connection, calendar, _baseline, quota),
            new RedisOutage(connection, NullLogger<RedisOutage>.Instance),
            calendar, _baseline, quota, Options.Create(new RedisLedgerOptions { FailMode = mode }), _clock,
            NullLogger<RedisFailModeLedger>.Instance);
        return new FailModeFixture(connection, ledger);
    }

    private sealed record FailModeFixture(RedisConnection Connection, RedisFailModeLedger Ledger) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
