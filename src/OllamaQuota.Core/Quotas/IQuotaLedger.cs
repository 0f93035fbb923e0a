namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The quota counters of every key and owner: one atomic reserve before a request goes upstream, one settle after it.
/// Implementations: <see cref="InProcessQuotaLedger"/> (embedded mode) and the Redis ledger (distributed mode);
/// both pass the same contract tests.
/// </summary>
public interface IQuotaLedger
{
    /// <summary>
    /// Checks every limit of the key and of its owner — requests and tokens in each window (minute, hour, day, month) and
    /// requests in flight; if every one passes, counts the request in each window of both, takes an in-flight slot of
    /// both and reserves the prompt estimate plus the completion allowance. If any fails, nothing is counted.
    /// </summary>
    ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the reservation with <paramref name="actualTokens"/>, or with nothing at all when
    /// <paramref name="refund"/> is set (the upstream failed before producing output: the request is uncounted too), and
    /// gives back its in-flight slot.
    /// </summary>
    ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken);

    /// <summary>
    /// The counters a reserve of <paramref name="request"/> would decide on now, changing nothing (a window not yet
    /// counted is read from the baseline, as the reserve would rebuild it): what <c>GET /quota</c> shows.
    /// </summary>
    ValueTask<QuotaSnapshot> ReadAsync(ReserveRequest request, CancellationToken cancellationToken);
}

/// <summary>The counters of a key and its owner at <paramref name="Now"/>: one count per window, and the requests in flight.</summary>
public sealed record QuotaSnapshot(IReadOnlyList<CountedWindow> Windows, IReadOnlyList<WindowCount> Counts, InFlightCounts InFlight, DateTime Now);
