using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Quotas;

public sealed class InProcessLedgerContractTests : LedgerContractTests
{
    protected override Task<IQuotaLedger> CreateLedgerAsync(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options) =>
        Task.FromResult<IQuotaLedger>(new InProcessQuotaLedger(calendar, baseline, options));
}

public sealed class RedisLedgerContractTests(RedisServerFixture server) : LedgerContractTests, IClassFixture<RedisServerFixture>
{
    private ConnectionMultiplexer? _redis;

    protected override async Task<IQuotaLedger> CreateLedgerAsync(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options)
    {
        _redis = await server.ConnectAsync();
        return RedisLedger(_redis, calendar, baseline, options);
    }

    protected override async ValueTask DisposeLedgerAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary>The same contract on a Redis Cluster of three masters: each key's scripts run on the master of its slot.</summary>
public sealed class RedisClusterLedgerContractTests(RedisClusterFixture cluster) : LedgerContractTests, IClassFixture<RedisClusterFixture>
{
    private ConnectionMultiplexer? _redis;

    protected override async Task<IQuotaLedger> CreateLedgerAsync(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options)
    {
        _redis = await cluster.ConnectAsync();
        return RedisLedger(_redis, calendar, baseline, options);
    }

    protected override async ValueTask DisposeLedgerAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary>
/// What every ledger must do (IQuotaLedger, QuotaRules), run against each one: the same inputs, the same decisions.
/// The clock is the test's, in Berlin time; the completion allowance is capped at 100 tokens.
/// </summary>
public abstract partial class LedgerContractTests : IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Noon);
    private readonly FakeBaseline _baseline = new();
    private IQuotaLedger _ledger = null!;

    public async Task InitializeAsync()
    {
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), _clock);
        _ledger = await CreateLedgerAsync(calendar, _baseline, Options.Create(new QuotaOptions { MaxCompletionTokens = 100 }));
    }

    public async Task DisposeAsync() => await DisposeLedgerAsync();

    [Fact]
    public async Task Reserve_DailyRequestsReached_RefusesUntilLocalMidnight()
    {
        var limits = new QuotaLimits(null, null, 2, null);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);

        var refused = await ReserveAsync(key, limits);

        Assert.False(refused.Allowed);
        Assert.Equal(new QuotaRefusal(QuotaLimitKind.DailyRequests, 2, 12 * 3600), refused.Refusal);
        _clock.Advance(TimeSpan.FromHours(12));
        Assert.True((await ReserveAsync(key, limits)).Allowed);
    }

    [Fact]
    public async Task Reserve_MonthlyRequestsReachedAcrossDays_RefusesUntilTheMonthEnds()
    {
        var limits = new QuotaLimits(null, null, null, 2);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        _clock.Advance(TimeSpan.FromDays(1));

        var refused = await ReserveAsync(key, limits);

        // 2026-11-24 12:00 Berlin → 2026-12-01 00:00 Berlin is 6.5 days.
        Assert.Equal(new QuotaRefusal(QuotaLimitKind.MonthlyRequests, 2, (long)TimeSpan.FromDays(6.5).TotalSeconds), refused.Refusal);
        _clock.Advance(TimeSpan.FromDays(6.5));
        Assert.True((await ReserveAsync(key, limits)).Allowed);
    }

    [Fact]
    public async Task Reserve_DailyTokensUsedUp_RefusesNamingTheDailyTokenLimit()
    {
        var limits = new QuotaLimits(100, null, null, null);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits, prompt: 60, generates: false)).Allowed);
        Assert.True((await ReserveAsync(key, limits, prompt: 40, generates: false)).Allowed);

        var refused = await ReserveAsync(key, limits, prompt: 1, generates: false);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.DailyTokens, 100, 12 * 3600), refused.Refusal);
    }

    [Fact]
    public async Task Reserve_PromptFillsTheRoom_RefusedBecauseNoTokenCouldBeGenerated()
    {
        var limits = new QuotaLimits(10, null, null, null);

        var refused = await ReserveAsync(Guid.NewGuid(), limits, prompt: 10);

        Assert.Equal(QuotaLimitKind.DailyTokens, refused.Refusal?.Limit);
    }

    [Fact]
    public async Task Reserve_MonthlyTighterThanDaily_RefusesNamingTheMonthlyTokenLimit()
    {
        var limits = new QuotaLimits(1000, 30, null, null);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits, prompt: 20, generates: false)).Allowed);

        var refused = await ReserveAsync(key, limits, prompt: 20, generates: false);

        Assert.Equal(QuotaLimitKind.MonthlyTokens, refused.Refusal?.Limit);
        Assert.Equal(30, refused.Refusal?.LimitValue);
    }

    [Fact]
    public async Task Reserve_Refused_CountsNeitherTheRequestNorItsTokens()
    {
        var limits = new QuotaLimits(100, null, 2, null);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits, prompt: 90, generates: false)).Allowed);
        Assert.False((await ReserveAsync(key, limits, prompt: 20, generates: false)).Allowed);
        Assert.False((await ReserveAsync(key, limits, prompt: 20, generates: false)).Allowed);

        var allowed = await ReserveAsync(key, limits, prompt: 10, generates: false);

        Assert.True(allowed.Allowed);
        Assert.Equal(0, allowed.Status.Requests?.Remaining);
        Assert.Equal(0, allowed.Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Reserve_Refused_ReportsTheCountersAsTheyWere()
    {
        var limits = new QuotaLimits(100, null, 1, null);
        var key = Guid.NewGuid();
        var first = await ReserveAsync(key, limits, prompt: 10, generates: false);

        var refused = await ReserveAsync(key, limits, prompt: 10, generates: false);

        Assert.Equal(first.Status, refused.Status);
    }

    [Fact]
    public async Task Reserve_ClientMaximumBelowTheRoom_IsTheAllowanceUnclamped()
    {
        var reserved = await ReserveAsync(Guid.NewGuid(), new QuotaLimits(1000, null, null, null), prompt: 10, clientMax: 50);

        Assert.Equal(new Reservation(reserved.Reservation!.KeyId, new DateOnly(2026, 11, 22), new DateOnly(2026, 11, 1), 60, 50, false), reserved.Reservation);
    }

    [Fact]
    public async Task Reserve_ClientMaximumAboveTheRoom_IsClampedToTheRoom()
    {
        var reserved = (await ReserveAsync(Guid.NewGuid(), new QuotaLimits(null, 80, null, null), prompt: 10, clientMax: 500)).Reservation!;

        Assert.Equal(70, reserved.CompletionAllowance);
        Assert.True(reserved.Clamped);
        Assert.Equal(80, reserved.ReservedTokens);
    }

    [Fact]
    public async Task Reserve_NoClientMaximum_AllowanceIsTheRoomCappedByMaxCompletionTokens()
    {
        var reserved = (await ReserveAsync(Guid.NewGuid(), new QuotaLimits(1000, null, null, null), prompt: 10)).Reservation!;

        Assert.Equal(100, reserved.CompletionAllowance);
        Assert.True(reserved.Clamped);
        Assert.Equal(110, reserved.ReservedTokens);
    }

    [Fact]
    public async Task Reserve_NoTokenLimit_ClientMaximumPassesThroughAndReservesAtMostTheCap()
    {
        var limits = new QuotaLimits(null, null, 10, null);
        var key = Guid.NewGuid();

        var withMaximum = (await ReserveAsync(key, limits, prompt: 10, clientMax: 500)).Reservation!;
        var without = (await ReserveAsync(key, limits, prompt: 10)).Reservation!;

        Assert.Equal((500L, false, 110L), (withMaximum.CompletionAllowance!.Value, withMaximum.Clamped, withMaximum.ReservedTokens));
        Assert.Equal((null, false, 10L), (without.CompletionAllowance, without.Clamped, without.ReservedTokens));
    }

    [Fact]
    public async Task Reserve_Embedding_HasNoCompletionAllowance()
    {
        var reserved = (await ReserveAsync(Guid.NewGuid(), new QuotaLimits(1000, null, null, null), prompt: 10, clientMax: 50, generates: false)).Reservation!;

        Assert.Equal((0L, false, 10L), (reserved.CompletionAllowance!.Value, reserved.Clamped, reserved.ReservedTokens));
    }

    [Fact]
    public async Task Reserve_Unlimited_ReportsNoWindows()
    {
        var reserved = await ReserveAsync(Guid.NewGuid(), QuotaLimits.Unlimited, prompt: 10);

        Assert.True(reserved.Allowed);
        Assert.Equal(RateLimitStatus.Unlimited, reserved.Status);
    }

    [Fact]
    public async Task Settle_ActualTokens_ReplaceTheReservation()
    {
        var limits = new QuotaLimits(1000, null, null, null);
        var key = Guid.NewGuid();
        var reservation = (await ReserveAsync(key, limits, prompt: 10, clientMax: 100)).Reservation!;
        Assert.Equal(110, reservation.ReservedTokens);

        await _ledger.SettleAsync(reservation, 30, refund: false, CancellationToken.None);

        Assert.Equal(970, (await ReserveAsync(key, limits, prompt: 0, generates: false)).Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Settle_Refund_UndoesTheRequestAndItsTokens()
    {
        var limits = new QuotaLimits(100, null, 1, null);
        var key = Guid.NewGuid();
        var reservation = (await ReserveAsync(key, limits, prompt: 10, generates: false)).Reservation!;

        await _ledger.SettleAsync(reservation, 0, refund: true, CancellationToken.None);

        var again = await ReserveAsync(key, limits, prompt: 10, generates: false);
        Assert.True(again.Allowed);
        Assert.Equal(new RateLimitStatus(new WindowStatus(1, 0, 12 * 3600), new WindowStatus(100, 90, 12 * 3600)), again.Status);
    }

    [Fact]
    public async Task Reserve_NextDay_DailyCountersStartOverAndMonthlyCarryOn()
    {
        var limits = new QuotaLimits(null, null, 2, 3);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.Equal(QuotaLimitKind.DailyRequests, (await ReserveAsync(key, limits)).Refusal?.Limit);

        _clock.Advance(TimeSpan.FromHours(12));

        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.Equal(QuotaLimitKind.MonthlyRequests, (await ReserveAsync(key, limits)).Refusal?.Limit);
    }

    [Fact]
    public async Task Reserve_NextMonth_EveryCounterStartsOver()
    {
        // 2026-11-30 23:30 in Berlin.
        _clock.Set(new DateTimeOffset(2026, 11, 30, 22, 30, 0, TimeSpan.Zero));
        var limits = new QuotaLimits(null, null, null, 1);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.Equal(1800, (await ReserveAsync(key, limits)).Refusal?.RetryAfterSeconds);

        _clock.Advance(TimeSpan.FromMinutes(30));

        Assert.True((await ReserveAsync(key, limits)).Allowed);
    }

    [Fact]
    public async Task Settle_AfterMidnight_LeavesTheNewDayAlone()
    {
        _clock.Set(new DateTimeOffset(2026, 11, 22, 22, 59, 0, TimeSpan.Zero));
        var limits = new QuotaLimits(100, null, null, null);
        var key = Guid.NewGuid();
        var reservation = (await ReserveAsync(key, limits, prompt: 10, clientMax: 20)).Reservation!;
        _clock.Advance(TimeSpan.FromMinutes(2));

        await _ledger.SettleAsync(reservation, 90, refund: false, CancellationToken.None);

        Assert.Equal(90, (await ReserveAsync(key, limits, prompt: 10, generates: false)).Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Reserve_FirstUse_CountsFromTheRecordedUsage()
    {
        var key = Guid.NewGuid();
        _baseline.Usage[key] = new KeyUsage(new UsageTotals(3, 30, 10), new UsageTotals(10, 300, 100));
        var limits = new QuotaLimits(null, 500, 5, null);

        var first = await ReserveAsync(key, limits, prompt: 10, generates: false);

        Assert.Equal(new RateLimitStatus(new WindowStatus(5, 1, 12 * 3600), new WindowStatus(500, 90, (long)TimeSpan.FromDays(8.5).TotalSeconds)), first.Status);
        Assert.True((await ReserveAsync(key, limits, prompt: 10, generates: false)).Allowed);
        Assert.Equal(QuotaLimitKind.DailyRequests, (await ReserveAsync(key, limits, prompt: 10, generates: false)).Refusal?.Limit);
    }

    [Fact]
    public async Task Reserve_200Concurrent_ExactlyTheDailyRequestLimitAllowed()
    {
        var limits = new QuotaLimits(null, null, 50, null);
        var key = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => ReserveAsync(key, limits))));

        Assert.Equal(50, results.Count(r => r.Allowed));
    }

    [Fact]
    public async Task Reserve_100ConcurrentWithSettles_TokenLimitNeverExceeded()
    {
        var limits = new QuotaLimits(1000, null, null, null);
        var key = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            var result = await ReserveAsync(key, limits, prompt: 10, clientMax: 30);
            if (result.Reservation is { } reservation)
            {
                await _ledger.SettleAsync(reservation, reservation.ReservedTokens, refund: false, CancellationToken.None);
            }

            return result;
        })));

        Assert.Equal(25, results.Count(r => r.Allowed));
        Assert.Equal(0, (await ReserveAsync(key, limits, prompt: 0, generates: false)).Status.Tokens?.Remaining);
    }

    [Theory]
    [InlineData(QuotaLimitKind.RequestsPerMinute, 60)]
    [InlineData(QuotaLimitKind.RequestsPerHour, 3600)]
    public async Task Reserve_ShortRequestLimitReached_RefusedNamingItUntilTheWindowEnds(QuotaLimitKind kind, long windowSeconds)
    {
        var limits = Limits(kind, 2);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True((await ReserveAsync(key, limits)).Allowed);

        var refused = await ReserveAsync(key, limits);

        Assert.Equal(new QuotaRefusal(kind, 2, windowSeconds - 20), refused.Refusal);
        _clock.Advance(TimeSpan.FromSeconds(windowSeconds - 21));
        Assert.False((await ReserveAsync(key, limits)).Allowed);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await ReserveAsync(key, limits)).Allowed);
    }

    [Theory]
    [InlineData(QuotaLimitKind.TokensPerMinute, 60)]
    [InlineData(QuotaLimitKind.TokensPerHour, 3600)]
    public async Task Reserve_ShortTokenLimitUsedUp_RefusedNamingItUntilTheWindowEnds(QuotaLimitKind kind, long windowSeconds)
    {
        var limits = Limits(kind, 100);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits, prompt: 100, generates: false)).Allowed);

        var refused = await ReserveAsync(key, limits, prompt: 1, generates: false);

        Assert.Equal(new QuotaRefusal(kind, 100, windowSeconds), refused.Refusal);
        _clock.Advance(TimeSpan.FromSeconds(windowSeconds));
        Assert.True((await ReserveAsync(key, limits, prompt: 100, generates: false)).Allowed);
    }

    [Fact]
    public async Task Reserve_MinuteWindows_AreCalendarAlignedSoTwiceTheLimitCanPassAcrossABoundary()
    {
        // 12:00:59 in Berlin: the minute ends in one second, not sixty after the first request.
        _clock.Set(Noon.AddSeconds(59));
        var limits = new QuotaLimits(null, null, null, null, RequestsPerMinute: 2);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.Equal(1, (await ReserveAsync(key, limits)).Refusal?.RetryAfterSeconds);

        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
        Assert.Equal(60, (await ReserveAsync(key, limits)).Refusal?.RetryAfterSeconds);
    }

    [Fact]
    public async Task Reserve_HourWindows_FollowTheLocalClock()
    {
        // 12:59:30 in Berlin: the hour is local, so it ends at 13:00 there, in thirty seconds.
        _clock.Set(Noon.AddMinutes(59).AddSeconds(30));
        var limits = new QuotaLimits(null, null, null, null, RequestsPerHour: 1);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.RequestsPerHour, 1, 30), (await ReserveAsync(key, limits)).Refusal);
    }

    [Fact]
    public async Task Reserve_MinuteAndDayBothReached_NamesTheDayWhichResetsLast()
    {
        var limits = new QuotaLimits(null, null, 1, null, RequestsPerMinute: 1);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);

        var refused = await ReserveAsync(key, limits);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.DailyRequests, 1, 12 * 3600), refused.Refusal);
    }

    [Fact]
    public async Task Reserve_MinuteTokensTighterThanTheDay_AllowanceIsTheMinutesRoom()
    {
        var reserved = (await ReserveAsync(Guid.NewGuid(), new QuotaLimits(1000, null, null, null, TokensPerMinute: 40), prompt: 10)).Reservation!;

        Assert.Equal((30L, true, 40L), (reserved.CompletionAllowance!.Value, reserved.Clamped, reserved.ReservedTokens));
    }

    [Fact]
    public async Task Reserve_EveryLimit_ReportsEachWithItsWindowAndTheTightestForTheOpenAiHeaders()
    {
        var limits = new QuotaLimits(1000, 5000, 100, 500, 10, 200, 50, 600, 3);

        var reserved = await ReserveAsync(Guid.NewGuid(), limits, prompt: 10, generates: false);

        Assert.Equal(
            [
                new LimitStatus(QuotaLimitKind.RequestsPerMinute, 10, 9, 60, 60),
                new LimitStatus(QuotaLimitKind.TokensPerMinute, 200, 190, 60, 60),
                new LimitStatus(QuotaLimitKind.RequestsPerHour, 50, 49, 3600, 3600),
                new LimitStatus(QuotaLimitKind.TokensPerHour, 600, 590, 3600, 3600),
                new LimitStatus(QuotaLimitKind.DailyRequests, 100, 99, 24 * 3600, 12 * 3600),
                new LimitStatus(QuotaLimitKind.DailyTokens, 1000, 990, 24 * 3600, 12 * 3600),
                new LimitStatus(QuotaLimitKind.MonthlyRequests, 500, 499, 30 * 24 * 3600, (long)TimeSpan.FromDays(8.5).TotalSeconds),
                new LimitStatus(QuotaLimitKind.MonthlyTokens, 5000, 4990, 30 * 24 * 3600, (long)TimeSpan.FromDays(8.5).TotalSeconds),
                new LimitStatus(QuotaLimitKind.MaxConcurrentRequests, 3, 2, 0, 0),
            ],
            reserved.Limits);
        Assert.Equal(new RateLimitStatus(new WindowStatus(10, 9, 60), new WindowStatus(200, 190, 60)), reserved.Status);
    }

    [Fact]
    public async Task Settle_AfterTheMinuteEnded_LeavesTheNewMinuteAlone()
    {
        var limits = new QuotaLimits(null, null, null, null, TokensPerMinute: 100);
        var key = Guid.NewGuid();
        var reservation = (await ReserveAsync(key, limits, prompt: 10, clientMax: 20)).Reservation!;
        _clock.Advance(TimeSpan.FromMinutes(1));

        await _ledger.SettleAsync(reservation, 90, refund: false, CancellationToken.None);

        Assert.Equal(90, (await ReserveAsync(key, limits, prompt: 10, generates: false)).Status.Tokens?.Remaining);
    }

    [Fact]
    public async Task Reserve_FirstUse_ShortWindowsCountFromTheRecordedEvents()
    {
        var key = Guid.NewGuid();
        _baseline.ShortWindowUsage[key] = new UsageTotals(4, 40, 0);
        var limits = new QuotaLimits(null, null, null, null, RequestsPerMinute: 5, TokensPerHour: 100);

        var first = await ReserveAsync(key, limits, prompt: 10, generates: false);

        Assert.Equal(new RateLimitStatus(new WindowStatus(5, 0, 60), new WindowStatus(100, 50, 3600)), first.Status);
        Assert.Equal(QuotaLimitKind.RequestsPerMinute, (await ReserveAsync(key, limits, prompt: 10, generates: false)).Refusal?.Limit);
    }

    [Fact]
    public async Task Reserve_MaxConcurrentReached_RefusedWithRetryAfterOneUntilOneIsSettled()
    {
        var limits = new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 2);
        var key = Guid.NewGuid();
        var first = (await ReserveAsync(key, limits)).Reservation!;
        var second = (await ReserveAsync(key, limits)).Reservation!;

        var refused = await ReserveAsync(key, limits);

        Assert.Equal(new QuotaRefusal(QuotaLimitKind.MaxConcurrentRequests, 2, 1), refused.Refusal);
        await _ledger.SettleAsync(first, 10, refund: false, CancellationToken.None);
        var third = await ReserveAsync(key, limits);
        Assert.True(third.Allowed);
        Assert.Equal(0, third.Limits.Single().Remaining);
        await _ledger.SettleAsync(second, 0, refund: true, CancellationToken.None);
        Assert.True((await ReserveAsync(key, limits)).Allowed);
    }

    [Fact]
    public async Task Reserve_MaxConcurrentAndAWindowBothRefuse_NamesTheWindow()
    {
        var limits = new QuotaLimits(null, null, null, null, RequestsPerMinute: 1, MaxConcurrentRequests: 1);
        var key = Guid.NewGuid();
        Assert.True((await ReserveAsync(key, limits)).Allowed);

        Assert.Equal(QuotaLimitKind.RequestsPerMinute, (await ReserveAsync(key, limits)).Refusal?.Limit);
    }

    [Theory]
    [InlineData(QuotaLimitKind.RequestsPerMinute)]
    [InlineData(QuotaLimitKind.RequestsPerHour)]
    [InlineData(QuotaLimitKind.MaxConcurrentRequests)]
    public async Task Reserve_200Concurrent_ExactlyTheLimitAllowed(QuotaLimitKind kind)
    {
        var limits = Limits(kind, 50);
        var key = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => ReserveAsync(key, limits))));

        Assert.Equal(50, results.Count(r => r.Allowed));
        Assert.All(results.Where(r => !r.Allowed), r => Assert.Equal(kind, r.Refusal?.Limit));
    }

    [Theory]
    [InlineData(QuotaLimitKind.TokensPerMinute)]
    [InlineData(QuotaLimitKind.TokensPerHour)]
    public async Task Reserve_200Concurrent_ExactlyAsManyAsTheTokenLimitHolds(QuotaLimitKind kind)
    {
        var limits = Limits(kind, 500);
        var key = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => ReserveAsync(key, limits, prompt: 10, generates: false))));

        Assert.Equal(50, results.Count(r => r.Allowed));
    }

    protected abstract Task<IQuotaLedger> CreateLedgerAsync(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options);

    protected virtual ValueTask DisposeLedgerAsync() => ValueTask.CompletedTask;

    protected static RedisQuotaLedger RedisLedger(
        IConnectionMultiplexer redis, QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options) =>
        new(redis, calendar, baseline, options, Options.Create(new RedisLedgerOptions()), NullLogger<RedisQuotaLedger>.Instance);

    /// <summary>Only <paramref name="kind"/>, at <paramref name="amount"/>.</summary>
    private static QuotaLimits Limits(QuotaLimitKind kind, long amount) => new(
        kind == QuotaLimitKind.DailyTokens ? amount : null,
        kind == QuotaLimitKind.MonthlyTokens ? amount : null,
        kind == QuotaLimitKind.DailyRequests ? amount : null,
        kind == QuotaLimitKind.MonthlyRequests ? amount : null,
        kind == QuotaLimitKind.RequestsPerMinute ? amount : null,
        kind == QuotaLimitKind.TokensPerMinute ? amount : null,
        kind == QuotaLimitKind.RequestsPerHour ? amount : null,
        kind == QuotaLimitKind.TokensPerHour ? amount : null,
        kind == QuotaLimitKind.MaxConcurrentRequests ? amount : null);

    private Task<ReserveResult> ReserveAsync(Guid key, QuotaLimits limits, long prompt = 5, long? clientMax = null, bool generates = true) =>
        _ledger.ReserveAsync(new ReserveRequest(key, limits, prompt, clientMax, generates), CancellationToken.None).AsTask();
}
