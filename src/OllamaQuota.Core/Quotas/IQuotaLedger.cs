namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The quota counters of every key: one atomic reserve before a request goes upstream, one settle after it.
/// Implementations: <see cref="InProcessQuotaLedger"/> (embedded mode) and the Redis ledger (distributed mode);
/// both pass the same contract tests.
/// </summary>
public interface IQuotaLedger
{
    /// <summary>
    /// Checks every limit of the key — requests and tokens in each window (minute, hour, day, month) and its requests
    /// in flight; if every one passes, counts the request in each window, takes an in-flight slot and reserves the
    /// prompt estimate plus the completion allowance. If any fails, nothing is counted.
    /// </summary>
    ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the reservation with <paramref name="actualTokens"/>, or with nothing at all when
    /// <paramref name="refund"/> is set (the upstream failed before producing output: the request is uncounted too), and
    /// gives back its in-flight slot.
    /// </summary>
    ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken);
}
