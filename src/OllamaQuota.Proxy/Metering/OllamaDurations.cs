namespace OllamaQuota.Proxy.Metering;

/// <summary>The timings Ollama reports for a request, in nanoseconds; null where it reported none (or nonsense).</summary>
public readonly record struct OllamaDurations(long? Total, long? Load, long? PromptEval, long? Eval);
