using System.Globalization;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Redis;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The distributed-mode ledger: counters in Redis, shared by every proxy instance, one Lua script and one round trip
/// per reserve and per settle (<see cref="RedisQuotaScripts"/>). A key's windows are the hashes
/// <c>oq:{k:&lt;id&gt;}:d:&lt;yyyy-MM-dd&gt;</c> and <c>oq:{k:&lt;id&gt;}:m:&lt;yyyy-MM&gt;</c>, which expire
/// <see cref="WindowRetention"/> after their window closes. A window Redis does not have (first use today, a flush,
/// a failover, eviction) is rebuilt from <see cref="IQuotaBaseline"/> before the check, so losing Redis's data never
/// resets a quota. Redis failures surface as <see cref="RedisException"/>; <see cref="RedisFailModeLedger"/> decides
/// what they mean for the request.
/// </summary>
public sealed class RedisQuotaLedger(
    RedisConnection redis, QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options) : IQuotaLedger
{
    /// <summary>How long a window's hash outlives the window, so a request reserved just before midnight still settles.</summary>
    public static readonly TimeSpan WindowRetention = TimeSpan.FromDays(1);

    // A window can vanish between the seed and the reserve only if Redis is flushed in that instant; twice is a fault.
    private const int MaxSeedAttempts = 3;

    public static string DayKey(Guid keyId, DateOnly day) =>
        $"oq:{{k:{keyId:D}}}:d:{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public static string MonthKey(Guid keyId, DateOnly day) =>
        $"oq:{{k:{keyId:D}}}:m:{day.ToString("yyyy-MM", CultureInfo.InvariantCulture)}";

    public async ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = calendar.UtcNow;
        var today = calendar.DayOf(now);
        var dayWindow = calendar.DayWindow(now);
        var monthWindow = calendar.MonthWindow(now);
        RedisArgument[] keys = [DayKey(request.KeyId, today), MonthKey(request.KeyId, today)];
        var limits = request.Limits;
        RedisArgument[] args =
        [
            limits.DailyTokens ?? -1, limits.MonthlyTokens ?? -1, limits.DailyRequests ?? -1, limits.MonthlyRequests ?? -1,
            request.PromptTokens, request.RequestedCompletionTokens is { } max and >= 0 ? max : -1,
            request.GeneratesText ? 1 : 0, options.Value.MaxCompletionTokens,
        ];

        for (var attempt = 1; attempt <= MaxSeedAttempts; attempt++)
        {
            // Not cancellable once sent: a reserve applied on the server but abandoned here would hold its tokens
            // with nobody left to settle them. The command timeout still bounds the wait.
            cancellationToken.ThrowIfCancellationRequested();
            var reply = await redis.EvaluateAsync(RedisQuotaScripts.Reserve, keys, args, CancellationToken.None);
            var status = reply[0].AsInt64();
            if (status == RedisQuotaScripts.Missing)
            {
                await SeedAsync(request.KeyId, today, now, dayWindow, monthWindow, keys, cancellationToken);
                continue;
            }

            var before = new QuotaCounters(reply[1].AsInt64(), reply[2].AsInt64(), reply[3].AsInt64(), reply[4].AsInt64());
            var (result, _) = QuotaRules.Reserve(
                request, before, today, new DateOnly(today.Year, today.Month, 1),
                dayWindow.SecondsUntilEnd(now), monthWindow.SecondsUntilEnd(now), options.Value.MaxCompletionTokens);
            var reserved = reply[5].AsInt64();
            if (result.Allowed != (status == RedisQuotaScripts.Allowed) || (result.Reservation?.ReservedTokens ?? 0) != reserved)
            {
                throw new InvalidOperationException(
                    $"The reserve script and QuotaRules disagree for key {request.KeyId}: script {status}/{reserved}, rules {result.Allowed}/{result.Reservation?.ReservedTokens}.");
            }

            return result;
        }

        throw new RedisException($"The quota counters of key {request.KeyId} disappeared from Redis {MaxSeedAttempts} times while being rebuilt.");
    }

    public async ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var tokens = refund ? -reservation.ReservedTokens : actualTokens - reservation.ReservedTokens;
        await redis.EvaluateAsync(
            RedisQuotaScripts.Settle,
            [DayKey(reservation.KeyId, reservation.Day), MonthKey(reservation.KeyId, reservation.Month)],
            [tokens, refund ? -1 : 0],
            cancellationToken);
    }

    private async Task SeedAsync(
        Guid keyId, DateOnly today, DateTime now, QuotaWindow dayWindow, QuotaWindow monthWindow, RedisArgument[] keys,
        CancellationToken cancellationToken)
    {
        var usage = await baseline.LoadAsync(keyId, today, cancellationToken);

        // Relative expiries from the ledger's own clock: the windows are defined by APP_TZ and this clock, not Redis's.
        await redis.EvaluateAsync(
            RedisQuotaScripts.Seed,
            keys,
            [
                usage.Today.Requests, usage.Today.Tokens, usage.Month.Requests, usage.Month.Tokens,
                TimeToLive(dayWindow, now), TimeToLive(monthWindow, now),
            ],
            cancellationToken);
    }

    private static long TimeToLive(QuotaWindow window, DateTime now) =>
        Math.Max(1, (long)(window.End + WindowRetention - now).TotalMilliseconds);
}
