namespace OllamaQuota.Core.Data;

/// <summary>The single row of admin-editable settings (id is always 1).</summary>
public sealed class SettingsRow
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;
    public required string OllamaUrl { get; set; }
    public required string DefaultModel { get; set; }

    // The guardrails (see Settings/Guardrails); null is off.
    public long? MaxKeepAliveSeconds { get; set; }

    /// <summary>The num_ctx rules as JSON (see Settings/NumCtxRules).</summary>
    public string? NumCtxRules { get; set; }

    public int? MaxImagesPerRequest { get; set; }

    public long? MaxImageBytes { get; set; }

    /// <summary>The fair-share slot counts per model as JSON (see Settings/ModelSlotRules); null: no model is scheduled.</summary>
    public string? ModelSlots { get; set; }

    /// <summary>How long a request may wait for a model slot; null: <c>FairShare.DefaultQueueTimeoutSeconds</c>.</summary>
    public int? QueueTimeoutSeconds { get; set; }

    /// <summary>Usage events older than this many days are deleted (the daily roll-ups are kept); null keeps them all.</summary>
    public int? UsageRetentionDays { get; set; }

    /// <summary>
    /// Bumped by every admin change to keys or settings. Proxies without Redis poll this one number to learn
    /// that their caches are stale, instead of re-reading every cached key.
    /// </summary>
    public long Revision { get; set; }
}
