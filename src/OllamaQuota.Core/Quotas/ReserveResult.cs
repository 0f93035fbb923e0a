namespace OllamaQuota.Core.Quotas;

/// <summary>
/// What a reserve decided: a <see cref="Reservation"/>, or the limit that refused it; <see cref="Status"/> is the
/// tightest request and token window, <see cref="Limits"/> every limit that applies.
/// </summary>
public sealed record ReserveResult(Reservation? Reservation, QuotaRefusal? Refusal, RateLimitStatus Status)
{
    public bool Allowed => Reservation is not null;

    /// <summary>Every limit of the key with what is left of it, shortest window first, the in-flight limit last.</summary>
    public IReadOnlyList<LimitStatus> Limits { get; init; } = [];

    public static ReserveResult Allow(Reservation reservation, RateLimitStatus status) => new(reservation, null, status);

    public static ReserveResult Refuse(QuotaRefusal refusal, RateLimitStatus status) => new(null, refusal, status);
}

/// <param name="Limit">The limit that was hit.</param>
/// <param name="LimitValue">Its value.</param>
/// <param name="RetryAfterSeconds">Seconds until that limit's window resets.</param>
public sealed record QuotaRefusal(QuotaLimitKind Limit, long LimitValue, long RetryAfterSeconds)
{
    /// <summary>An in-flight refusal is worth retrying as soon as one of the key's requests ends.</summary>
    public const long ConcurrencyRetryAfterSeconds = 1;

    /// <summary>Whose limit it is: the key's own, or its owner's (shared by all of the owner's keys).</summary>
    public QuotaScope Scope { get; init; }

    /// <summary>The limit as the 429 names it (OpenAI's param): <c>daily_tokens</c>, or <c>owner.daily_tokens</c>.</summary>
    public string Name => Scope.Name(Limit);

    public string Message => (Limit, Scope) switch
    {
        (QuotaLimitKind.MaxConcurrentRequests, QuotaScope.Owner) =>
            $"The {Limit.Describe()} of {LimitValue} for the owner of this API key is reached: {LimitValue} requests of the owner's keys are in flight. Retry when one has finished.",
        (QuotaLimitKind.MaxConcurrentRequests, _) =>
            $"The {Limit.Describe()} of {LimitValue} for this API key is reached: {LimitValue} of its requests are in flight. Retry when one has finished.",
        (_, QuotaScope.Owner) =>
            $"The {Limit.Describe()} of {LimitValue} for the owner of this API key (shared by all of the owner's keys) is reached; it resets in {RetryAfterSeconds} seconds.",
        _ => $"The {Limit.Describe()} of {LimitValue} for this API key is reached; it resets in {RetryAfterSeconds} seconds.",
    };
}

/// <summary>
/// Tokens and a request held against a key's windows (and its owner's) until settled.
/// </summary>
/// <param name="CompletionAllowance">
/// The most the upstream may generate (sent as num_predict / max_tokens), or null when no token limit applies
/// and the client asked for no maximum.
/// </param>
/// <param name="Clamped">True when the allowance is below what the client asked for (or it asked for none).</param>
public sealed record Reservation(
    Guid KeyId,
    DateOnly Day,
    DateOnly Month,
    long ReservedTokens,
    long? CompletionAllowance,
    bool Clamped);

/// <summary>The tightest request window and the tightest token window, for the x-ratelimit-* headers.</summary>
public sealed record RateLimitStatus(WindowStatus? Requests, WindowStatus? Tokens)
{
    public static readonly RateLimitStatus Unlimited = new(null, null);
}

public sealed record WindowStatus(long Limit, long Remaining, long ResetSeconds);

/// <summary>One limit's state, for the RateLimit-Policy and RateLimit headers.</summary>
/// <param name="WindowSeconds">The window's length; 0 for the in-flight limit, which has none.</param>
/// <param name="ResetSeconds">Seconds until the window resets; 0 for the in-flight limit.</param>
public sealed record LimitStatus(QuotaLimitKind Kind, long Limit, long Remaining, long WindowSeconds, long ResetSeconds)
{
    /// <summary>Whose limit it is: the key's own, or its owner's.</summary>
    public QuotaScope Scope { get; init; }

    /// <summary>The limit's name in the headers: <c>daily_tokens</c>, or <c>owner.daily_tokens</c>.</summary>
    public string Name => Scope.Name(Kind);
}
