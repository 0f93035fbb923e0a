namespace OllamaQuota.Proxy.Scheduling;

/// <summary>How distributed mode shares model slots through Redis (see <see cref="RedisModelSlots"/>).</summary>
public sealed class ModelSlotOptions
{
    public const string LeaseVariable = "MODEL_SLOT_LEASE_MS";
    public const string PollVariable = "MODEL_SLOT_POLL_MS";

    /// <summary>
    /// <c>MODEL_SLOT_LEASE_MS</c>: how long a slot (or a place in the queue) outlives its instance. Renewed every third
    /// of it while held, so it bounds how long a killed instance's slots stay taken, not how long a request may run.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>MODEL_SLOT_POLL_MS</c>: how often a waiting request asks Redis itself, besides the grant notices: for a notice
    /// lost on the way, and for slots a dead instance's expired lease freed, which nobody releases.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    internal static void Bind(ModelSlotOptions options, IConfiguration configuration)
    {
        options.Lease = TimeSpan.FromMilliseconds(ProxyOptions.Read(configuration, LeaseVariable, (int)options.Lease.TotalMilliseconds));
        options.PollInterval = TimeSpan.FromMilliseconds(ProxyOptions.Read(configuration, PollVariable, (int)options.PollInterval.TotalMilliseconds));
    }
}
