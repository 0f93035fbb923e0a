using OllamaQuota.Core.Keys;

namespace OllamaQuota.Core.Data;

/// <summary>An API key as stored: only the SHA-256 of the secret is kept, never the secret itself.</summary>
public sealed class ApiKey : ILimitHolder
{
    public Guid Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The first characters of the plaintext key, so an admin can tell keys apart in lists.</summary>
    public required string KeyPrefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the plaintext key; unique.</summary>
    public required string KeyHash { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime? DeactivatedAt { get; set; }

    /// <summary>Set when the key is deleted: refused by proxies and hidden from lists, its usage kept.</summary>
    public DateTime? DeletedAt { get; set; }

    /// <summary>When the secret was last rotated; null if it never was.</summary>
    public DateTime? RotatedAt { get; set; }

    /// <summary>The hash of the secret a rotation replaced (unique), kept to honour its grace period and then to
    /// refuse it saying it was rotated. Only the latest replaced secret is kept.</summary>
    public string? PreviousKeyHash { get; set; }

    public string? PreviousKeyPrefix { get; set; }

    /// <summary>When the replaced secret stops working (the end of its grace period).</summary>
    public DateTime? PreviousKeyExpiresAt { get; set; }

    // Each limit is null when unlimited.
    public long? DailyTokens { get; set; }
    public long? MonthlyTokens { get; set; }
    public long? DailyRequests { get; set; }
    public long? MonthlyRequests { get; set; }
    public long? RequestsPerMinute { get; set; }
    public long? TokensPerMinute { get; set; }
    public long? RequestsPerHour { get; set; }
    public long? TokensPerHour { get; set; }

    /// <summary>How many of the key's requests may be in flight at once.</summary>
    public long? MaxConcurrentRequests { get; set; }

    /// <summary>The owner whose limits apply across this key and its other keys; null for a key on its own.</summary>
    public Guid? OwnerId { get; set; }

    public Owner? Owner { get; set; }

    /// <summary>
    /// How many times the key changed owner. The Redis ledger keeps the key's windows per value, so that after a move
    /// they are rebuilt from the database rather than found as they were the last time the key was there.
    /// </summary>
    public long OwnerChanges { get; set; }

    /// <summary>The models this key may use (names and patterns, see ModelAccess); null allows every model.</summary>
    public string[]? AllowedModels { get; set; }
}
