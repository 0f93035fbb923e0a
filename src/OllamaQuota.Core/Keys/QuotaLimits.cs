namespace OllamaQuota.Core.Keys;

/// <summary>The four limits of a key; null means unlimited.</summary>
public sealed record QuotaLimits(long? DailyTokens, long? MonthlyTokens, long? DailyRequests, long? MonthlyRequests)
{
    public static readonly QuotaLimits Unlimited = new(null, null, null, null);
}
