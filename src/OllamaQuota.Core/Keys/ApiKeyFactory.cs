using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

public static class ApiKeyFactory
{
    /// <summary>A new, active key record and the plaintext that goes with it (shown once, never stored).</summary>
    public static (ApiKey Record, string Plaintext) Create(string name, QuotaLimits limits, DateTime? expiresAtUtc, DateTime utcNow)
    {
        var secret = ApiKeySecret.Generate();
        var record = new ApiKey
        {
            Id = Guid.CreateVersion7(utcNow),
            Name = name.Trim(),
            KeyPrefix = secret.DisplayPrefix,
            KeyHash = secret.Hash,
            CreatedAt = utcNow,
            ExpiresAt = expiresAtUtc,
            IsActive = true,
            DailyTokens = limits.DailyTokens,
            MonthlyTokens = limits.MonthlyTokens,
            DailyRequests = limits.DailyRequests,
            MonthlyRequests = limits.MonthlyRequests,
            RequestsPerMinute = limits.RequestsPerMinute,
            TokensPerMinute = limits.TokensPerMinute,
            RequestsPerHour = limits.RequestsPerHour,
            TokensPerHour = limits.TokensPerHour,
            MaxConcurrentRequests = limits.MaxConcurrentRequests,
        };
        return (record, secret.Plaintext);
    }
}
