namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The windows a key's requests and tokens are counted in, shortest first: the order in which the rules, the Lua
/// script and the headers go through them, so that on a tie the shorter window is the one reported.
/// </summary>
public enum QuotaPeriod
{
    Minute,
    Hour,
    Day,
    Month,
}

public static class QuotaPeriodExtensions
{
    /// <summary>Every period, shortest first.</summary>
    public static readonly QuotaPeriod[] All = [QuotaPeriod.Minute, QuotaPeriod.Hour, QuotaPeriod.Day, QuotaPeriod.Month];

    public static QuotaLimitKind RequestLimit(this QuotaPeriod period) => period switch
    {
        QuotaPeriod.Minute => QuotaLimitKind.RequestsPerMinute,
        QuotaPeriod.Hour => QuotaLimitKind.RequestsPerHour,
        QuotaPeriod.Day => QuotaLimitKind.DailyRequests,
        QuotaPeriod.Month => QuotaLimitKind.MonthlyRequests,
        _ => throw new ArgumentOutOfRangeException(nameof(period)),
    };

    public static QuotaLimitKind TokenLimit(this QuotaPeriod period) => period switch
    {
        QuotaPeriod.Minute => QuotaLimitKind.TokensPerMinute,
        QuotaPeriod.Hour => QuotaLimitKind.TokensPerHour,
        QuotaPeriod.Day => QuotaLimitKind.DailyTokens,
        QuotaPeriod.Month => QuotaLimitKind.MonthlyTokens,
        _ => throw new ArgumentOutOfRangeException(nameof(period)),
    };

    /// <summary>
    /// Day and month are always counted (their counters are rebuilt from the roll-ups and stay right when a limit is
    /// set later); a minute or an hour only while the key has a limit on it, so keys without short limits pay nothing
    /// for them.
    /// </summary>
    public static bool AlwaysCounted(this QuotaPeriod period) => period is QuotaPeriod.Day or QuotaPeriod.Month;
}
