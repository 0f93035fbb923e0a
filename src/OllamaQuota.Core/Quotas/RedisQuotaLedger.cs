using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The distributed-mode ledger: counters in Redis, shared by every proxy instance, one Lua script and one round trip
/// per reserve and per settle (<see cref="RedisQuotaScripts"/>). A key's windows are the hashes
/// <c>oq:{k:&lt;id&gt;}:d:&lt;yyyy-MM-dd&gt;</c> and <c>oq:{k:&lt;id&gt;}:m:&lt;yyyy-MM&gt;</c>, which expire
/// <see cref="WindowRetention"/> after their window closes. A window Redis does not have (first use today, a flush,
/// a failover, eviction) is rebuilt from <see cref="IQuotaBaseline"/> before the check, so losing Redis's data never
/// resets a quota. Redis failures surface as the library's exceptions; <see cref="RedisFailModeLedger"/> decides what
/// they mean for the request.
/// </summary>
/// <remarks>
/// Every reservation is recorded in Redis with an id and a lease (<see cref="RedisLedgerOptions.ReservationLease"/>),
/// renewed by <see cref="RenewAsync"/> while its request runs. A reservation nobody settles — the proxy was killed, or
/// the reserve was applied but its reply never arrived — is given back by the next script call for that key once its
/// lease has run out, instead of holding its tokens until the window closes. The lease is short and renewed rather
/// than as long as the longest request could be: a stream may run for as long as Ollama generates, which no fixed
/// expiry can bound, while a short lease frees what a dead proxy held within seconds (and is what per-key in-flight
/// leases need). Renewal failing only shortens the hold; a settle arriving after its reservation was given back
/// charges what was used afresh, so counters end up right either way.
/// </remarks>
public sealed partial class RedisQuotaLedger(
    IConnectionMultiplexer redis,
    QuotaCalendar calendar,
    IQuotaBaseline baseline,
    IOptions<QuotaOptions> options,
    IOptions<RedisLedgerOptions> ledgerOptions,
    ILogger<RedisQuotaLedger> logger) : IQuotaLedger
{
    /// <summary>How long a window's hash outlives the window, so a request reserved just before midnight still settles.</summary>
    public static readonly TimeSpan WindowRetention = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a reservation given back on expiry stays marked as such, so that its settle, however late (kept while
    /// Redis was away), charges what was used instead of being mistaken for a repeat.
    /// </summary>
    public static readonly TimeSpan ReleasedRetention = TimeSpan.FromDays(1);

    // A window can vanish between the seed and the reserve only if Redis is flushed in that instant; twice is a fault.
    private const int MaxSeedAttempts = 3;

    // This instance's reservations still held in Redis, by reference (two reservations can be equal as records).
    private readonly ConcurrentDictionary<Reservation, string> _held = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentQueue<DeferredSettle> _deferred = new();

    /// <summary>Reservations of this instance that Redis holds and that are not settled yet.</summary>
    public int HeldCount => _held.Count;

    public static string DayKey(Guid keyId, DateOnly day) =>
        $"oq:{{k:{keyId:D}}}:d:{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public static string MonthKey(Guid keyId, DateOnly day) =>
        $"oq:{{k:{keyId:D}}}:m:{day.ToString("yyyy-MM", CultureInfo.InvariantCulture)}";

    public static string ReservationsKey(Guid keyId) => $"oq:{{k:{keyId:D}}}:reservations";

    public static string ExpiriesKey(Guid keyId) => $"oq:{{k:{keyId:D}}}:reservation-expiries";

    public async ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = calendar.UtcNow;
        var today = calendar.DayOf(now);
        var dayWindow = calendar.DayWindow(now);
        var monthWindow = calendar.MonthWindow(now);
        var limits = request.Limits;
        var id = Guid.NewGuid().ToString("N");
        var parameters = new
        {
            day = (RedisKey)DayKey(request.KeyId, today),
            month = (RedisKey)MonthKey(request.KeyId, today),
            reservations = (RedisKey)ReservationsKey(request.KeyId),
            expiries = (RedisKey)ExpiriesKey(request.KeyId),
            dailyTokens = limits.DailyTokens ?? -1,
            monthlyTokens = limits.MonthlyTokens ?? -1,
            dailyRequests = limits.DailyRequests ?? -1,
            monthlyRequests = limits.MonthlyRequests ?? -1,
            prompt = request.PromptTokens,
            clientMax = request.RequestedCompletionTokens is { } max and >= 0 ? max : -1,
            generates = request.GeneratesText ? 1 : 0,
            maxCompletion = options.Value.MaxCompletionTokens,
            id,
            today = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            thisMonth = today.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            lease = (long)ledgerOptions.Value.ReservationLease.TotalMilliseconds,
            releasedFor = (long)ReleasedRetention.TotalMilliseconds,

            // The reservations outlive every window they can be charged to, so an expired one is still found and given back.
            keepFor = TimeToLive(monthWindow, now),
        };

        var database = redis.GetDatabase();
        for (var attempt = 1; attempt <= MaxSeedAttempts; attempt++)
        {
            // Not cancellable once sent: a reserve applied on the server but abandoned here holds its tokens until its
            // lease runs out. The command timeout still bounds the wait.
            cancellationToken.ThrowIfCancellationRequested();
            var reply = (RedisResult[])(await RedisQuotaScripts.Reserve.EvaluateAsync(database, parameters))!;
            var status = (long)reply[0];
            if (status == RedisQuotaScripts.Missing)
            {
                await SeedAsync(database, request.KeyId, today, now, dayWindow, monthWindow, cancellationToken);
                continue;
            }

            var before = new QuotaCounters((long)reply[1], (long)reply[2], (long)reply[3], (long)reply[4]);
            var (result, _) = QuotaRules.Reserve(
                request, before, today, new DateOnly(today.Year, today.Month, 1),
                dayWindow.SecondsUntilEnd(now), monthWindow.SecondsUntilEnd(now), options.Value.MaxCompletionTokens);
            var reserved = (long)reply[5];
            if (result.Allowed != (status == RedisQuotaScripts.Allowed) || (result.Reservation?.ReservedTokens ?? 0) != reserved)
            {
                throw new InvalidOperationException(
                    $"The reserve script and QuotaRules disagree for key {request.KeyId}: script {status}/{reserved}, rules {result.Allowed}/{result.Reservation?.ReservedTokens}.");
            }

            if (result.Reservation is { } reservation)
            {
                _held[reservation] = id;
            }

            return result;
        }

        throw new RedisException($"The quota counters of key {request.KeyId} disappeared from Redis {MaxSeedAttempts} times while being rebuilt.");
    }

    public async ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (!_held.TryGetValue(reservation, out var id))
        {
            throw new ArgumentException("The reservation was not made by this ledger, or is settled already.", nameof(reservation));
        }

        cancellationToken.ThrowIfCancellationRequested();
        await RedisQuotaScripts.Settle.EvaluateAsync(redis.GetDatabase(), new
        {
            day = (RedisKey)DayKey(reservation.KeyId, reservation.Day),
            month = (RedisKey)MonthKey(reservation.KeyId, reservation.Month),
            reservations = (RedisKey)ReservationsKey(reservation.KeyId),
            expiries = (RedisKey)ExpiriesKey(reservation.KeyId),
            id,
            reserved = reservation.ReservedTokens,
            tokens = actualTokens,
            refund = refund ? 1 : 0,
        });
        _held.TryRemove(reservation, out _);
    }

    /// <summary>
    /// Keeps a settle Redis could not take, to be retried by <see cref="RenewAsync"/>; its reservation stays held
    /// (and renewed) meanwhile, so the counters stay right however long Redis is away. Retrying is safe even if the
    /// failed settle was applied after all (its reply lost): a settle finds its reservation gone and does nothing.
    /// </summary>
    public void SettleLater(Reservation reservation, long actualTokens, bool refund)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        _deferred.Enqueue(new DeferredSettle(reservation, actualTokens, refund));
    }

    /// <summary>
    /// One round of upkeep, run every third of the lease: settles kept by <see cref="SettleLater"/>, then extends the
    /// lease of every reservation still held. Stops at the first Redis failure; the next round tries again.
    /// </summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        for (var count = _deferred.Count; count > 0 && _deferred.TryPeek(out var settle); count--)
        {
            await SettleAsync(settle.Reservation, settle.ActualTokens, settle.Refund, cancellationToken);
            _deferred.TryDequeue(out _);
        }

        var database = redis.GetDatabase();
        var lease = (long)ledgerOptions.Value.ReservationLease.TotalMilliseconds;
        await Task.WhenAll(_held.Select(async held =>
        {
            var renewed = (long)(await RedisQuotaScripts.Renew.EvaluateAsync(database, new
            {
                reservations = (RedisKey)ReservationsKey(held.Key.KeyId),
                expiries = (RedisKey)ExpiriesKey(held.Key.KeyId),
                id = held.Value,
                lease,
            }));
            if (renewed == 0 && _held.ContainsKey(held.Key))
            {
                LogLeaseLost(held.Key.KeyId);
            }
        }));
    }

    private async Task SeedAsync(
        IDatabase database, Guid keyId, DateOnly today, DateTime now, QuotaWindow dayWindow, QuotaWindow monthWindow,
        CancellationToken cancellationToken)
    {
        var usage = await baseline.LoadAsync(keyId, today, cancellationToken);

        // Relative expiries from the ledger's own clock: the windows are defined by APP_TZ and this clock, not Redis's.
        await RedisQuotaScripts.Seed.EvaluateAsync(database, new
        {
            day = (RedisKey)DayKey(keyId, today),
            month = (RedisKey)MonthKey(keyId, today),
            dayRequests = usage.Today.Requests,
            dayTokens = usage.Today.Tokens,
            monthRequests = usage.Month.Requests,
            monthTokens = usage.Month.Tokens,
            dayTtl = TimeToLive(dayWindow, now),
            monthTtl = TimeToLive(monthWindow, now),
        });
    }

    private static long TimeToLive(QuotaWindow window, DateTime now) =>
        Math.Max(1, (long)(window.End + WindowRetention - now).TotalMilliseconds);

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning,
        Message = "A reservation of key {KeyId} outlived its lease in Redis (renewals failed) and was given back; its settle will charge what the request used")]
    private partial void LogLeaseLost(Guid keyId);

    private sealed record DeferredSettle(Reservation Reservation, long ActualTokens, bool Refund);
}
