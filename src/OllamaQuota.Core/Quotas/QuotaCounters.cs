namespace OllamaQuota.Core.Quotas;

/// <summary>A key's counters for the current day and month; tokens include those reserved by requests in flight.</summary>
public record struct QuotaCounters(long DayRequests, long DayTokens, long MonthRequests, long MonthTokens);
