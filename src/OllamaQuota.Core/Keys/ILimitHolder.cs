namespace OllamaQuota.Core.Keys;

/// <summary>What has the nine limits as stored columns: a key and an owner.</summary>
public interface ILimitHolder
{
    long? DailyTokens { get; set; }
    long? MonthlyTokens { get; set; }
    long? DailyRequests { get; set; }
    long? MonthlyRequests { get; set; }
    long? RequestsPerMinute { get; set; }
    long? TokensPerMinute { get; set; }
    long? RequestsPerHour { get; set; }
    long? TokensPerHour { get; set; }
    long? MaxConcurrentRequests { get; set; }
}
