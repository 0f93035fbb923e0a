using OllamaQuota.Core.Usage;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// Where a ledger's counters start from when it has none for a key (a restart, a Redis flush): the usage already
/// recorded for today and this month, and for the current minute or hour, so that restarting never resets anyone's quota.
/// </summary>
public interface IQuotaBaseline
{
    Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken);

    /// <summary>The usage recorded in a short window (a minute, an hour), counted from the usage events.</summary>
    Task<UsageTotals> LoadWindowAsync(Guid keyId, QuotaWindow window, CancellationToken cancellationToken);
}
