namespace OllamaQuota.Core.Data;

/// <summary>Per key, calendar day (in APP_TZ) and model: the roll-up that quota counters are rebuilt from.</summary>
public sealed class UsageDaily : IUsageMeasures
{
    public Guid KeyId { get; set; }
    public DateOnly Day { get; set; }
    public required string Model { get; set; }
    public long Requests { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }

    /// <summary>Sums of the durations Ollama reported (nanoseconds); events that reported none add nothing.</summary>
    public long TotalDurationNs { get; set; }

    /// <inheritdoc cref="TotalDurationNs"/>
    public long LoadDurationNs { get; set; }

    /// <inheritdoc cref="TotalDurationNs"/>
    public long PromptEvalDurationNs { get; set; }

    /// <inheritdoc cref="TotalDurationNs"/>
    public long EvalDurationNs { get; set; }

    /// <summary>Sum of each event's <see cref="Usage.GpuTime"/> (nanoseconds).</summary>
    public long GpuDurationNs { get; set; }

    /// <summary>Events with a known GPU time: the part of the traffic <see cref="GpuDurationNs"/> covers.</summary>
    public long TimedRequests { get; set; }

    /// <summary>Answers with a 5xx status that the proxy forwarded (Ollama's errors, an unreachable or broken upstream).</summary>
    public long Errors { get; set; }

    /// <summary>Requests the proxy refused with 429 (<see cref="UsageEvent.Refused"/>): a quota was used up.</summary>
    public long RefusedRateLimited { get; set; }

    /// <summary>Requests the proxy refused with 503 (<see cref="UsageEvent.Refused"/>): it could not count them.</summary>
    public long RefusedUnavailable { get; set; }
}
