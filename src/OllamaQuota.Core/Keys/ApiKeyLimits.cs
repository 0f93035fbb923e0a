using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Keys;

/// <summary>A stored key's limits set by kind, so the Admin API and the key factory go through the list, not field by field.</summary>
public static class ApiKeyLimits
{
    public static void Set(ApiKey key, QuotaLimitKind kind, long? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        switch (kind)
        {
            case QuotaLimitKind.DailyTokens: key.DailyTokens = value; break;
            case QuotaLimitKind.MonthlyTokens: key.MonthlyTokens = value; break;
            case QuotaLimitKind.DailyRequests: key.DailyRequests = value; break;
            case QuotaLimitKind.MonthlyRequests: key.MonthlyRequests = value; break;
            case QuotaLimitKind.RequestsPerMinute: key.RequestsPerMinute = value; break;
            case QuotaLimitKind.TokensPerMinute: key.TokensPerMinute = value; break;
            case QuotaLimitKind.RequestsPerHour: key.RequestsPerHour = value; break;
            case QuotaLimitKind.TokensPerHour: key.TokensPerHour = value; break;
            case QuotaLimitKind.MaxConcurrentRequests: key.MaxConcurrentRequests = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
