namespace OllamaQuota.Core.Quotas;

public sealed class QuotaOptions
{
    /// <summary>
    /// <c>QUOTA_MAX_COMPLETION_TOKENS</c>: the largest completion allowance one request may reserve when a token
    /// limit applies, so one long request cannot hold a whole day's budget.
    /// </summary>
    public long MaxCompletionTokens { get; set; } = 8192;
}
