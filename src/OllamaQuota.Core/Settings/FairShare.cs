using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Settings;

/// <summary>
/// The fair share of each model's slots at Ollama: how many requests per model may be in flight at once, and how long a
/// request may wait for a slot before it is answered 503. Models without a slot count are not scheduled.
/// </summary>
public sealed record FairShare(ModelSlotRules Slots, TimeSpan QueueTimeout)
{
    /// <summary>The wait when none is set: long enough for a few generations ahead to end, short of a client's timeout.</summary>
    public const int DefaultQueueTimeoutSeconds = 60;

    /// <summary>The longest wait an admin may set: an hour.</summary>
    public const int LongestQueueTimeoutSeconds = 3600;

    public static readonly FairShare Off = new(ModelSlotRules.None, TimeSpan.FromSeconds(DefaultQueueTimeoutSeconds));

    public static FairShare From(SettingsRow row) => new(
        ModelSlotRules.FromStored(row.ModelSlots),
        TimeSpan.FromSeconds(row.QueueTimeoutSeconds ?? DefaultQueueTimeoutSeconds));
}
