namespace OllamaQuota.Core.Data;

/// <summary>
/// The sums every usage roll-up keeps, whatever it is per: what the overview shows (requests, tokens, GPU time,
/// errors and refusals). <see cref="UsageDaily"/> keeps Ollama's separate durations besides.
/// </summary>
public interface IUsageMeasures
{
    /// <summary>Requests the quotas count (answered without an error status).</summary>
    long Requests { get; }

    long PromptTokens { get; }

    long CompletionTokens { get; }

    /// <summary>Sum of each event's <see cref="Usage.GpuTime"/> (nanoseconds).</summary>
    long GpuDurationNs { get; }

    /// <summary>Events with a known GPU time: the part of the traffic <see cref="GpuDurationNs"/> covers.</summary>
    long TimedRequests { get; }

    /// <summary>5xx answers to forwarded requests.</summary>
    long Errors { get; }

    /// <summary>Requests the proxy refused with 429: a quota was used up.</summary>
    long RefusedRateLimited { get; }

    /// <summary>Requests the proxy refused with 503: it could not reach its quota ledger.</summary>
    long RefusedUnavailable { get; }
}
