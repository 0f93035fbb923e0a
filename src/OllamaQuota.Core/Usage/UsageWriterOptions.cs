namespace OllamaQuota.Core.Usage;

public sealed class UsageWriterOptions
{
    /// <summary>Events per database write.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary><c>USAGE_FLUSH_MS</c>: the longest an event waits for its batch to fill.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Pause before retrying a batch the database refused.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
