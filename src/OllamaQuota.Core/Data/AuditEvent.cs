namespace OllamaQuota.Core.Data;

/// <summary>
/// One admin change, written in the same transaction as the change. <see cref="Before"/> and <see cref="After"/>
/// hold only the fields that changed, as JSON objects in the Admin API's names; secrets and hashes are never among them.
/// </summary>
public sealed class AuditEvent
{
    /// <summary>Increasing with every row; breaks ties between events of the same instant when paging.</summary>
    public long Id { get; set; }

    public DateTime OccurredAt { get; set; }

    /// <summary>Who made the change: "admin" through the Admin API, "cli" from the command line.</summary>
    public required string Actor { get; set; }

    /// <summary>The caller's IP address (see README, audit log, for reverse proxies); null from the command line.</summary>
    public string? CallerAddress { get; set; }

    /// <summary>What was done, as "&lt;target type&gt;.&lt;verb&gt;", e.g. "api_key.rotate" (see <c>AuditActions</c>).</summary>
    public required string Action { get; set; }

    public required string TargetType { get; set; }

    public string? TargetId { get; set; }

    /// <summary>The target's name when the change was made, so the log reads well after a rename or deletion.</summary>
    public string? TargetName { get; set; }

    public string? Before { get; set; }

    public string? After { get; set; }
}
