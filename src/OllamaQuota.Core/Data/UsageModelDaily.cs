namespace OllamaQuota.Core.Data;

/// <summary>
/// Per calendar day (in APP_TZ) and model, across every key: the overview's totals, its by-model table and its chart
/// read a few rows per day here, however many keys there are (<see cref="UsageDaily"/> has a row per key as well).
/// </summary>
public sealed class UsageModelDaily : IUsageMeasures
{
    public DateOnly Day { get; set; }
    public required string Model { get; set; }
    public long Requests { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public long GpuDurationNs { get; set; }
    public long TimedRequests { get; set; }
    public long Errors { get; set; }
    public long RefusedRateLimited { get; set; }
    public long RefusedUnavailable { get; set; }
}
