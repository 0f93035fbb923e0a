using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

public static class UsageCounting
{
    /// <summary>
    /// Whether an event counts against the request quota: the ledger refunds a request whose upstream failed
    /// before producing output, and the proxy records those with an error status, so the roll-ups that rebuild
    /// the counters leave them out the same way.
    /// </summary>
    public static bool CountsAsRequest(UsageEvent usage) => usage.StatusCode < 400;

    /// <summary>The status of a refusal for a used-up quota.</summary>
    public const int RateLimitedStatus = 429;

    /// <summary>The status of a refusal when the quota ledger cannot be reached.</summary>
    public const int UnavailableStatus = 503;

    /// <summary>Whether the overview counts the event as an error: a 5xx answer to a request that was forwarded.</summary>
    public static bool IsError(UsageEvent usage) => !usage.Refused && usage.StatusCode >= 500;
}
