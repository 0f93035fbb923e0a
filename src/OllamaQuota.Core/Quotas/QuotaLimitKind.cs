namespace OllamaQuota.Core.Quotas;

/// <summary>Which of the four limits; the wire names are the Admin API's field names.</summary>
public enum QuotaLimitKind
{
    DailyTokens,
    MonthlyTokens,
    DailyRequests,
    MonthlyRequests,
}

public static class QuotaLimitKindExtensions
{
    public static bool IsDaily(this QuotaLimitKind kind) => kind is QuotaLimitKind.DailyTokens or QuotaLimitKind.DailyRequests;

    public static bool IsTokens(this QuotaLimitKind kind) => kind is QuotaLimitKind.DailyTokens or QuotaLimitKind.MonthlyTokens;

    public static string ToWire(this QuotaLimitKind kind) => kind switch
    {
        QuotaLimitKind.DailyTokens => "daily_tokens",
        QuotaLimitKind.MonthlyTokens => "monthly_tokens",
        QuotaLimitKind.DailyRequests => "daily_requests",
        QuotaLimitKind.MonthlyRequests => "monthly_requests",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>"daily token limit", as a person reads it.</summary>
    public static string Describe(this QuotaLimitKind kind) =>
        $"{(kind.IsDaily() ? "daily" : "monthly")} {(kind.IsTokens() ? "token" : "request")} limit";
}
