namespace OllamaQuota.Core.Usage;

/// <summary>The usage stream of distributed mode and the consumer group that drains it into the database.</summary>
public sealed class RedisStreamUsageOptions
{
    public const string ClaimIdleVariable = "USAGE_CLAIM_IDLE_MS";

    public string StreamKey { get; set; } = "oq:usage";

    public string Group { get; set; } = "usage-writers";

    /// <summary>This instance's name in the group: unique per process, so a restarted proxy never mistakes a dead one's entries for its own.</summary>
    public string Consumer { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Entries per read, and so per database batch.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How long the writer waits before reading again after a read found nothing new.</summary>
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// <c>USAGE_CLAIM_IDLE_MS</c>: an entry delivered this long ago and still unacknowledged belongs to a writer presumed
    /// dead, and so does a consumer with nothing pending that has not read for this long.
    /// </summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause before retrying after Redis or the database failed.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
