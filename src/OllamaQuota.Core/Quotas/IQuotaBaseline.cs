using OllamaQuota.Core.Usage;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// Where a ledger's counters start from when it has none for a key (a restart, a Redis flush): the usage already
/// recorded for today and this month, so that restarting never resets anyone's quota.
/// </summary>
public interface IQuotaBaseline
{
    Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken);
}
