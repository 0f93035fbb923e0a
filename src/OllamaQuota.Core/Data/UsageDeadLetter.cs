namespace OllamaQuota.Core.Data;

/// <summary>
/// A usage event the database refused for good (say, a model name longer than its column), set aside so it no longer
/// blocks its batch; an admin can see it, and replay it once the cause is fixed. One row per event.
/// </summary>
public sealed class UsageDeadLetter
{
    public long Id { get; set; }
    public Guid EventId { get; set; }

    /// <summary>The event as JSON, exactly as the writer had it.</summary>
    public required string Payload { get; set; }

    /// <summary>What the database answered.</summary>
    public required string Error { get; set; }

    public DateTime CreatedAt { get; set; }
}
