using OllamaQuota.Core.Keys;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The reserve decision as a pure function of the counters, so that every ledger applies exactly the same rules
/// (the Redis ledger's Lua script mirrors this, and the shared contract tests hold both to it). The windows are data:
/// the rules go through whichever the ledger counts, shortest first, and read each one's limits by kind.
/// </summary>
public static class QuotaRules
{
    /// <summary>
    /// Decides a reserve against <paramref name="counts"/> (one per window in <paramref name="windows"/>: the key's and
    /// its owner's) and the requests in flight of the key and of its owner's keys. On success every window counts the request and holds the
    /// reserved tokens, and one more request is in flight; on refusal nothing changes. When several limits refuse, the
    /// one named is the one that resets last, so that its Retry-After is when the request can pass.
    /// </summary>
    public static ReserveResult Reserve(
        ReserveRequest request, ReadOnlySpan<CountedWindow> windows, ReadOnlySpan<WindowCount> counts, InFlightCounts inFlight,
        DateOnly today, DateTime now, long maxCompletionTokens)
    {
        ArgumentNullException.ThrowIfNull(request);
        QuotaRefusal? refusal = null;
        void Refuse(QuotaScope scope, QuotaLimitKind kind, long limit, long resetSeconds)
        {
            if (refusal is null || resetSeconds > refusal.RetryAfterSeconds)
            {
                refusal = new QuotaRefusal(kind, limit, resetSeconds) { Scope = scope };
            }
        }

        // 1. Requests: this one must fit in every window, the key's and its owner's.
        for (var i = 0; i < windows.Length; i++)
        {
            var kind = windows[i].Period.RequestLimit();
            if (LimitsOf(request, windows[i].Scope).Amount(kind) is { } max && counts[i].Requests + 1 > max)
            {
                Refuse(windows[i].Scope, kind, max, windows[i].Window.SecondsUntilEnd(now));
            }
        }

        // 2. Tokens: the prompt, and at least one generated token, must fit in every token window; the tightest (least
        // remaining) bounds the completion allowance.
        var needed = request.PromptTokens + (request.GeneratesText ? 1 : 0);
        long? room = null;
        for (var i = 0; i < windows.Length; i++)
        {
            var kind = windows[i].Period.TokenLimit();
            if (LimitsOf(request, windows[i].Scope).Amount(kind) is not { } max)
            {
                continue;
            }

            var remaining = max - counts[i].Tokens;
            if (needed > remaining)
            {
                Refuse(windows[i].Scope, kind, max, windows[i].Window.SecondsUntilEnd(now));
            }

            room = room is { } tighter ? Math.Min(tighter, remaining) : remaining;
        }

        // 3. In flight, the key's and then its owner's: a window that refuses is the longer wait, so this is named only
        // when none does.
        if (refusal is null && request.Limits.MaxConcurrentRequests is { } concurrent && inFlight.Key + 1 > concurrent)
        {
            refusal = new QuotaRefusal(QuotaLimitKind.MaxConcurrentRequests, concurrent, QuotaRefusal.ConcurrencyRetryAfterSeconds);
        }

        if (refusal is null && request.Owner?.Limits.MaxConcurrentRequests is { } shared && inFlight.Owner + 1 > shared)
        {
            refusal = new QuotaRefusal(QuotaLimitKind.MaxConcurrentRequests, shared, QuotaRefusal.ConcurrencyRetryAfterSeconds)
            {
                Scope = QuotaScope.Owner,
            };
        }

        if (refusal is not null)
        {
            return Result(null, refusal, request, windows, counts, 0, 0, inFlight, now);
        }

        // 4. The completion allowance: the room left after the prompt, the client's maximum and the cap, or, with no
        // token limit to protect, the client's own maximum untouched.
        var clientMax = request.RequestedCompletionTokens is >= 0 ? request.RequestedCompletionTokens : null;
        long? allowance;
        bool clamped;
        if (room is { } left)
        {
            var after = left - request.PromptTokens;
            allowance = request.GeneratesText ? Math.Min(Math.Min(clientMax ?? after, after), maxCompletionTokens) : 0;
            clamped = request.GeneratesText && (clientMax is null || clientMax > allowance);
        }
        else
        {
            allowance = request.GeneratesText ? clientMax : 0;
            clamped = false;
        }

        // 5. Count the request and hold the tokens, in the key's windows and its owner's alike.
        var reserved = request.PromptTokens + Math.Min(allowance ?? 0, maxCompletionTokens);
        var reservation = new Reservation(request.KeyId, today, new DateOnly(today.Year, today.Month, 1), reserved, allowance, clamped);
        return Result(reservation, null, request, windows, counts, 1, reserved, new InFlightCounts(inFlight.Key + 1, inFlight.Owner + 1), now);
    }

    /// <summary>
    /// Whether <paramref name="reservation"/>'s completion allowance is the room left after the prompt (step 4), below
    /// what the client's maximum and the cap alone would give. Only then does the prompt's size change the allowance:
    /// otherwise any smaller prompt estimate that fits gets the very same allowance.
    /// </summary>
    public static bool AllowanceCutByRoom(ReserveRequest request, Reservation reservation, long maxCompletionTokens)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(reservation);
        var clientMax = request.RequestedCompletionTokens is { } max and >= 0 ? max : long.MaxValue;
        return request.GeneratesText && reservation.CompletionAllowance is { } allowance && allowance < Math.Min(clientMax, maxCompletionTokens);
    }

    /// <summary>The limits of <paramref name="scope"/> in <paramref name="request"/>: the key's, or its owner's.</summary>
    public static QuotaLimits LimitsOf(ReserveRequest request, QuotaScope scope)
    {
        ArgumentNullException.ThrowIfNull(request);
        return scope == QuotaScope.Owner ? request.Owner?.Limits ?? QuotaLimits.Unlimited : request.Limits;
    }

    /// <summary>A window's counters after settling: the reservation replaced by the actual tokens, or undone entirely.</summary>
    public static WindowCount Settle(WindowCount count, long reservedTokens, long actualTokens, bool refund)
    {
        var tokens = refund ? -reservedTokens : actualTokens - reservedTokens;
        var requests = refund ? -1 : 0;
        return new WindowCount(Math.Max(0, count.Requests + requests), Math.Max(0, count.Tokens + tokens));
    }

    /// <summary>
    /// The result with every limit's state after the decision (<paramref name="addRequests"/> and
    /// <paramref name="addTokens"/> counted), and the tightest request and token window (least remaining; the shorter
    /// on a tie) for the x-ratelimit-* headers.
    /// </summary>
    private static ReserveResult Result(
        Reservation? reservation, QuotaRefusal? refusal, ReserveRequest request, ReadOnlySpan<CountedWindow> windows,
        ReadOnlySpan<WindowCount> counts, long addRequests, long addTokens, InFlightCounts inFlight, DateTime now)
    {
        var statuses = new List<LimitStatus>(windows.Length * 2 + 1);
        WindowStatus? requests = null;
        WindowStatus? tokens = null;
        for (var i = 0; i < windows.Length; i++)
        {
            var window = windows[i];
            var limits = LimitsOf(request, window.Scope);
            var reset = window.Window.SecondsUntilEnd(now);
            var length = (long)window.Window.Length.TotalSeconds;
            if (limits.Amount(window.Period.RequestLimit()) is { } maxRequests)
            {
                var status = new WindowStatus(maxRequests, Math.Max(0, maxRequests - counts[i].Requests - addRequests), reset);
                requests = requests is null || status.Remaining < requests.Remaining ? status : requests;
                statuses.Add(new LimitStatus(window.Period.RequestLimit(), maxRequests, status.Remaining, length, reset) { Scope = window.Scope });
            }

            if (limits.Amount(window.Period.TokenLimit()) is { } maxTokens)
            {
                var status = new WindowStatus(maxTokens, Math.Max(0, maxTokens - counts[i].Tokens - addTokens), reset);
                tokens = tokens is null || status.Remaining < tokens.Remaining ? status : tokens;
                statuses.Add(new LimitStatus(window.Period.TokenLimit(), maxTokens, status.Remaining, length, reset) { Scope = window.Scope });
            }
        }

        if (request.Limits.MaxConcurrentRequests is { } concurrent)
        {
            statuses.Add(new LimitStatus(QuotaLimitKind.MaxConcurrentRequests, concurrent, Math.Max(0, concurrent - inFlight.Key), 0, 0));
        }

        if (request.Owner?.Limits.MaxConcurrentRequests is { } shared)
        {
            statuses.Add(new LimitStatus(QuotaLimitKind.MaxConcurrentRequests, shared, Math.Max(0, shared - inFlight.Owner), 0, 0)
            {
                Scope = QuotaScope.Owner,
            });
        }

        var tightest = requests is null && tokens is null ? RateLimitStatus.Unlimited : new RateLimitStatus(requests, tokens);
        return new ReserveResult(reservation, refusal, tightest) { Limits = statuses };
    }
}

/// <summary>Requests in flight now: of the key, and of all of its owner's keys (0 without an owner).</summary>
public readonly record struct InFlightCounts(long Key, long Owner);
