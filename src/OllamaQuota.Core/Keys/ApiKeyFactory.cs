using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Keys;

public static class ApiKeyFactory
{
    /// <summary>A new, active key record and the plaintext that goes with it (shown once, never stored).</summary>
    public static (ApiKey Record, string Plaintext) Create(string name, QuotaLimits limits, DateTime? expiresAtUtc, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(limits);
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
        };
        foreach (var kind in QuotaLimitKindExtensions.All)
        {
            ApiKeyLimits.Set(record, kind, limits.Amount(kind));
        }

        return (record, secret.Plaintext);
    }
}
