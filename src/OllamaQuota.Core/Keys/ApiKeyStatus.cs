using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

public enum ApiKeyStatus
{
    Active,
    Deactivated,
    Expired,
}

public static class ApiKeyStatusExtensions
{
    /// <summary>Deactivation wins over expiry: a deactivated key stays deactivated after its expiry passes.</summary>
    public static ApiKeyStatus StatusAt(this ApiKey key, DateTime utcNow) =>
        !key.IsActive ? ApiKeyStatus.Deactivated
        : key.ExpiresAt is { } expires && expires <= utcNow ? ApiKeyStatus.Expired
        : ApiKeyStatus.Active;

    public static string ToWire(this ApiKeyStatus status) => status switch
    {
        ApiKeyStatus.Active => "active",
        ApiKeyStatus.Deactivated => "deactivated",
        ApiKeyStatus.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
