namespace OllamaQuota.Core.Quotas;

/// <summary>Which limit; the wire names are the Admin API's field names.</summary>
public enum QuotaLimitKind
{
    DailyTokens,
    MonthlyTokens,
    DailyRequests,
    MonthlyRequests,
    RequestsPerMinute,
    TokensPerMinute,
    RequestsPerHour,
    TokensPerHour,
    MaxConcurrentRequests,
}

public static class QuotaLimitKindExtensions
{
    /// <summary>Every kind, in the order the Admin API lists its fields.</summary>
    public static readonly QuotaLimitKind[] All = Enum.GetValues<QuotaLimitKind>();

    public static bool IsDaily(this QuotaLimitKind kind) => kind.Period() == QuotaPeriod.Day;

    public static bool IsTokens(this QuotaLimitKind kind) =>
        kind is QuotaLimitKind.DailyTokens or QuotaLimitKind.MonthlyTokens or QuotaLimitKind.TokensPerMinute or QuotaLimitKind.TokensPerHour;

    /// <summary>The window the limit counts in; null for the in-flight limit, which is no window.</summary>
    public static QuotaPeriod? Period(this QuotaLimitKind kind) => kind switch
    {
        QuotaLimitKind.RequestsPerMinute or QuotaLimitKind.TokensPerMinute => QuotaPeriod.Minute,
        QuotaLimitKind.RequestsPerHour or QuotaLimitKind.TokensPerHour => QuotaPeriod.Hour,
        QuotaLimitKind.DailyTokens or QuotaLimitKind.DailyRequests => QuotaPeriod.Day,
        QuotaLimitKind.MonthlyTokens or QuotaLimitKind.MonthlyRequests => QuotaPeriod.Month,
        _ => null,
    };

    public static string ToWire(this QuotaLimitKind kind) => kind switch
    {
        QuotaLimitKind.DailyTokens => "daily_tokens",
        QuotaLimitKind.MonthlyTokens => "monthly_tokens",
        QuotaLimitKind.DailyRequests => "daily_requests",
        QuotaLimitKind.MonthlyRequests => "monthly_requests",
        QuotaLimitKind.RequestsPerMinute => "requests_per_minute",
        QuotaLimitKind.TokensPerMinute => "tokens_per_minute",
        QuotaLimitKind.RequestsPerHour => "requests_per_hour",
        QuotaLimitKind.TokensPerHour => "tokens_per_hour",
        QuotaLimitKind.MaxConcurrentRequests => "max_concurrent_requests",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>"daily token limit", as a person reads it.</summary>
    public static string Describe(this QuotaLimitKind kind) => kind.Period() switch
    {
        null => "concurrent request limit",
        { } period => $"{Adjective(period)} {(kind.IsTokens() ? "token" : "request")} limit",
    };

    private static string Adjective(QuotaPeriod period) => period switch
    {
        QuotaPeriod.Minute => "per-minute",
        QuotaPeriod.Hour => "hourly",
        QuotaPeriod.Day => "daily",
        _ => "monthly",
    };
}
