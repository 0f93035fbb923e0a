namespace OllamaQuota.Core.Data;

/// <summary>
/// Per calendar month (in APP_TZ, stored as its first day) and key, across models: the month's top keys and its
/// by-owner table read one row per key that had usage here, where <see cref="UsageDaily"/> has one per day and model.
/// </summary>
public sealed class UsageKeyMonthly : IUsageMeasures
{
    public DateOnly Month { get; set; }
    public Guid KeyId { get; set; }
    public long Requests { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public long GpuDurationNs { get; set; }
    public long TimedRequests { get; set; }
    public long Errors { get; set; }
    public long RefusedRateLimited { get; set; }
    public long RefusedUnavailable { get; set; }
}
