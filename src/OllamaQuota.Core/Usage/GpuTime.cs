using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// What "GPU time" means here: the time Ollama's model runner spent computing a request, from the durations Ollama
/// reports (nanoseconds).
/// <list type="bullet">
/// <item>A generation (<c>/api/generate</c>, <c>/api/chat</c>): <c>prompt_eval_duration + eval_duration</c>, the runner's
/// own measure of reading the prompt and generating the answer.</item>
/// <item>An embedding (<c>/api/embed</c>), which reports neither: <c>total_duration − load_duration</c>, the time from
/// holding a runner to the answer.</item>
/// </list>
/// <c>load_duration</c> is left out on purpose: Ollama measures it from the request's arrival until a runner is ready,
/// so besides loading the model it holds the time spent queued behind other requests for a free slot. Where Ollama
/// reported nothing (the OpenAI-compatible endpoints, an answer cut off before its final chunk) the time is unknown,
/// not zero.
/// </summary>
public static class GpuTime
{
    /// <summary>A day: Ollama reports no request longer than that; a larger value is garbage, not a measurement.</summary>
    public const long MaxDurationNs = 86_400L * 1_000_000_000;

    /// <summary>Whether <paramref name="nanoseconds"/> can be a duration Ollama measured.</summary>
    public static bool IsPlausible(long nanoseconds) => nanoseconds is >= 0 and <= MaxDurationNs;

    /// <summary>The event's GPU time in nanoseconds, or null when Ollama reported nothing to derive it from.</summary>
    public static long? Of(UsageEvent usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (usage.PromptEvalDurationNs is not null || usage.EvalDurationNs is not null)
        {
            return (usage.PromptEvalDurationNs ?? 0) + (usage.EvalDurationNs ?? 0);
        }

        return usage.TotalDurationNs is { } total ? Math.Max(0, total - (usage.LoadDurationNs ?? 0)) : null;
    }

    /// <summary>Nanoseconds as seconds, for the Admin API.</summary>
    public static double Seconds(long nanoseconds) => nanoseconds / 1e9;
}
