namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The reserve decision as a pure function of the counters, so that every ledger applies exactly the same rules
/// (the Redis ledger's Lua script mirrors this, and the shared contract tests hold both to it).
/// </summary>
public static class QuotaRules
{
    /// <summary>
    /// Decides a reserve against <paramref name="counters"/>. On success returns the reservation and the counters
    /// with the request counted and the tokens reserved; on refusal, the counters unchanged.
    /// </summary>
    public static (ReserveResult Result, QuotaCounters Counters) Reserve(
        ReserveRequest request, QuotaCounters counters, DateOnly day, DateOnly month, long dayResetSeconds,
        long monthResetSeconds, long maxCompletionTokens)
    {
        var limits = request.Limits;

        // 1. Requests: this one must fit in both windows.
        if (limits.DailyRequests is { } dailyRequests && counters.DayRequests + 1 > dailyRequests)
        {
            return Refuse(QuotaLimitKind.DailyRequests, dailyRequests, dayResetSeconds);
        }

        if (limits.MonthlyRequests is { } monthlyRequests && counters.MonthRequests + 1 > monthlyRequests)
        {
            return Refuse(QuotaLimitKind.MonthlyRequests, monthlyRequests, monthResetSeconds);
        }

        // 2. Tokens: the prompt, and at least one generated token, must fit in the tightest token window.
        var tightest = TightestTokens(limits, counters, dayResetSeconds, monthResetSeconds);
        var clientMax = request.RequestedCompletionTokens is >= 0 ? request.RequestedCompletionTokens : null;
        long? allowance;
        bool clamped;
        if (tightest is { } window)
        {
            var needed = request.PromptTokens + (request.GeneratesText ? 1 : 0);
            if (needed > window.Remaining)
            {
                return Refuse(window.Kind, window.Limit, window.ResetSeconds);
            }

            var room = window.Remaining - request.PromptTokens;
            allowance = request.GeneratesText ? Math.Min(Math.Min(clientMax ?? room, room), maxCompletionTokens) : 0;
            clamped = request.GeneratesText && (clientMax is null || clientMax > allowance);
        }
        else
        {
            // Nothing to protect: the client's own maximum passes through untouched.
            allowance = request.GeneratesText ? clientMax : 0;
            clamped = false;
        }

        // 3. Count the request and hold the tokens.
        var reserved = request.PromptTokens + Math.Min(allowance ?? 0, maxCompletionTokens);
        var updated = new QuotaCounters(
            counters.DayRequests + 1, counters.DayTokens + reserved, counters.MonthRequests + 1, counters.MonthTokens + reserved);
        var reservation = new Reservation(request.KeyId, day, month, reserved, allowance, clamped);
        return (ReserveResult.Allow(reservation, Status(limits, updated, dayResetSeconds, monthResetSeconds)), updated);

        (ReserveResult, QuotaCounters) Refuse(QuotaLimitKind kind, long limit, long resetSeconds) =>
            (ReserveResult.Refuse(new QuotaRefusal(kind, limit, resetSeconds), Status(limits, counters, dayResetSeconds, monthResetSeconds)), counters);
    }

    /// <summary>The counters after settling: the reservation replaced by the actual tokens, or undone entirely.</summary>
    public static QuotaCounters Settle(QuotaCounters counters, Reservation reservation, long actualTokens, bool refund, bool sameDay, bool sameMonth)
    {
        var tokens = refund ? -reservation.ReservedTokens : actualTokens - reservation.ReservedTokens;
        var requests = refund ? -1 : 0;
        return new QuotaCounters(
            sameDay ? Math.Max(0, counters.DayRequests + requests) : counters.DayRequests,
            sameDay ? Math.Max(0, counters.DayTokens + tokens) : counters.DayTokens,
            sameMonth ? Math.Max(0, counters.MonthRequests + requests) : counters.MonthRequests,
            sameMonth ? Math.Max(0, counters.MonthTokens + tokens) : counters.MonthTokens);
    }

    /// <summary>The tightest request window and token window (least remaining; the daily one on a tie).</summary>
    public static RateLimitStatus Status(Keys.QuotaLimits limits, QuotaCounters counters, long dayResetSeconds, long monthResetSeconds)
    {
        var requests = Tightest(
            limits.DailyRequests, counters.DayRequests, dayResetSeconds, limits.MonthlyRequests, counters.MonthRequests, monthResetSeconds);
        var tokens = Tightest(
            limits.DailyTokens, counters.DayTokens, dayResetSeconds, limits.MonthlyTokens, counters.MonthTokens, monthResetSeconds);
        return new RateLimitStatus(requests, tokens);
    }

    private static WindowStatus? Tightest(long? dayLimit, long dayUsed, long dayReset, long? monthLimit, long monthUsed, long monthReset)
    {
        WindowStatus? day = dayLimit is { } d ? new WindowStatus(d, Math.Max(0, d - dayUsed), dayReset) : null;
        WindowStatus? month = monthLimit is { } m ? new WindowStatus(m, Math.Max(0, m - monthUsed), monthReset) : null;
        return (day, month) switch
        {
            (null, _) => month,
            (_, null) => day,
            _ => month!.Remaining < day!.Remaining ? month : day,
        };
    }

    private static TokenWindow? TightestTokens(Keys.QuotaLimits limits, QuotaCounters counters, long dayReset, long monthReset)
    {
        TokenWindow? day = limits.DailyTokens is { } d ? new TokenWindow(QuotaLimitKind.DailyTokens, d, d - counters.DayTokens, dayReset) : null;
        TokenWindow? month = limits.MonthlyTokens is { } m ? new TokenWindow(QuotaLimitKind.MonthlyTokens, m, m - counters.MonthTokens, monthReset) : null;
        return (day, month) switch
        {
            (null, _) => month,
            (_, null) => day,
            _ => month!.Remaining < day!.Remaining ? month : day,
        };
    }

    private sealed record TokenWindow(QuotaLimitKind Kind, long Limit, long Remaining, long ResetSeconds);
}
