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
}
