using OllamaQuota.Core.Keys;

namespace OllamaQuota.Core.Data;

/// <summary>
/// A person or a team holding any number of keys. Its limits apply across all of its keys together, in the same
/// atomic reserve as each key's own.
/// </summary>
public sealed class Owner : ILimitHolder
{
    public Guid Id { get; set; }
    public required string Name { get; set; }

    /// <summary>How to reach the owner (an e-mail address, a team channel); free text.</summary>
    public string? Contact { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Bumped whenever a key joins or leaves the owner. The quota ledger keys the owner's counters by it, so a change
    /// of membership starts counters rebuilt from the database, where the owner's usage is the usage of the keys it
    /// holds now.
    /// </summary>
    public long KeysVersion { get; set; }

    // Each limit is null when unlimited.
    public long? DailyTokens { get; set; }
    public long? MonthlyTokens { get; set; }
    public long? DailyRequests { get; set; }
    public long? MonthlyRequests { get; set; }
    public long? RequestsPerMinute { get; set; }
    public long? TokensPerMinute { get; set; }
    public long? RequestsPerHour { get; set; }
    public long? TokensPerHour { get; set; }
    public long? MaxConcurrentRequests { get; set; }
}
