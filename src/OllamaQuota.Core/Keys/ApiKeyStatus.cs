using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

public enum ApiKeyStatus
{
    Active,
    Deactivated,
    Expired,
    Deleted,
}

public static class ApiKeyStatusExtensions
{
    /// <summary>
    /// Deletion wins over everything, and deactivation over expiry: a deactivated key stays deactivated after its
    /// expiry passes.
    /// </summary>
    public static ApiKeyStatus StatusAt(this ApiKey key, DateTime utcNow) =>
        key.DeletedAt is not null ? ApiKeyStatus.Deleted
        : !key.IsActive ? ApiKeyStatus.Deactivated
        : key.ExpiresAt is { } expires && expires <= utcNow ? ApiKeyStatus.Expired
        : ApiKeyStatus.Active;

    public static string ToWire(this ApiKeyStatus status) => status switch
    {
        ApiKeyStatus.Active => "active",
        ApiKeyStatus.Deactivated => "deactivated",
        ApiKeyStatus.Expired => "expired",
        ApiKeyStatus.Deleted => "deleted",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
