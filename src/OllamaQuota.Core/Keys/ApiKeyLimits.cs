using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Keys;

/// <summary>
/// A stored key's or owner's limits set and read by kind, so the Admin API and the key factory go through the list,
/// not field by field.
/// </summary>
public static class ApiKeyLimits
{
    public static void Set(ILimitHolder holder, QuotaLimitKind kind, long? value)
    {
        ArgumentNullException.ThrowIfNull(holder);
        switch (kind)
        {
            case QuotaLimitKind.DailyTokens: holder.DailyTokens = value; break;
            case QuotaLimitKind.MonthlyTokens: holder.MonthlyTokens = value; break;
            case QuotaLimitKind.DailyRequests: holder.DailyRequests = value; break;
            case QuotaLimitKind.MonthlyRequests: holder.MonthlyRequests = value; break;
            case QuotaLimitKind.RequestsPerMinute: holder.RequestsPerMinute = value; break;
            case QuotaLimitKind.TokensPerMinute: holder.TokensPerMinute = value; break;
            case QuotaLimitKind.RequestsPerHour: holder.RequestsPerHour = value; break;
            case QuotaLimitKind.TokensPerHour: holder.TokensPerHour = value; break;
            case QuotaLimitKind.MaxConcurrentRequests: holder.MaxConcurrentRequests = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>The holder's limits as the ledger reads them.</summary>
    public static QuotaLimits Of(ILimitHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return new QuotaLimits(
            holder.DailyTokens, holder.MonthlyTokens, holder.DailyRequests, holder.MonthlyRequests, holder.RequestsPerMinute,
            holder.TokensPerMinute, holder.RequestsPerHour, holder.TokensPerHour, holder.MaxConcurrentRequests);
    }
}
