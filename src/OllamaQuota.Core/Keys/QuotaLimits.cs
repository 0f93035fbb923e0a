using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Keys;

/// <summary>
/// A key's limits, in the shape of the Admin API's fields; null means unlimited. The ledger does not read these
/// properties one by one: it asks <see cref="Amount"/> for each <see cref="QuotaLimitKind"/> of each window it counts,
/// so a window is a value (<see cref="QuotaPeriod"/>), not a branch.
/// </summary>
/// <param name="MaxConcurrentRequests">How many of the key's requests may be in flight at once.</param>
public sealed record QuotaLimits(
    long? DailyTokens,
    long? MonthlyTokens,
    long? DailyRequests,
    long? MonthlyRequests,
    long? RequestsPerMinute = null,
    long? TokensPerMinute = null,
    long? RequestsPerHour = null,
    long? TokensPerHour = null,
    long? MaxConcurrentRequests = null)
{
    public static readonly QuotaLimits Unlimited = new(null, null, null, null);

    /// <summary>The limits whose amount of each kind is <paramref name="amount"/>(kind).</summary>
    public static QuotaLimits From(Func<QuotaLimitKind, long?> amount)
    {
        ArgumentNullException.ThrowIfNull(amount);
        return new QuotaLimits(
            amount(QuotaLimitKind.DailyTokens), amount(QuotaLimitKind.MonthlyTokens), amount(QuotaLimitKind.DailyRequests),
            amount(QuotaLimitKind.MonthlyRequests), amount(QuotaLimitKind.RequestsPerMinute), amount(QuotaLimitKind.TokensPerMinute),
            amount(QuotaLimitKind.RequestsPerHour), amount(QuotaLimitKind.TokensPerHour), amount(QuotaLimitKind.MaxConcurrentRequests));
    }

    public long? Amount(QuotaLimitKind kind) => kind switch
    {
        QuotaLimitKind.DailyTokens => DailyTokens,
        QuotaLimitKind.MonthlyTokens => MonthlyTokens,
        QuotaLimitKind.DailyRequests => DailyRequests,
        QuotaLimitKind.MonthlyRequests => MonthlyRequests,
        QuotaLimitKind.RequestsPerMinute => RequestsPerMinute,
        QuotaLimitKind.TokensPerMinute => TokensPerMinute,
        QuotaLimitKind.RequestsPerHour => RequestsPerHour,
        QuotaLimitKind.TokensPerHour => TokensPerHour,
        QuotaLimitKind.MaxConcurrentRequests => MaxConcurrentRequests,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Whether a request or token limit applies to <paramref name="period"/>.</summary>
    public bool Limits(QuotaPeriod period) => Amount(period.RequestLimit()) is not null || Amount(period.TokenLimit()) is not null;
}
