using OllamaQuota.Core.Keys;

namespace OllamaQuota.Core.Quotas;

/// <param name="KeyId">The key being charged.</param>
/// <param name="Limits">Its limits at the time of the request.</param>
/// <param name="PromptTokens">The tokenizer's estimate of the prompt.</param>
/// <param name="RequestedCompletionTokens">The client's max_tokens / num_predict, if it gave one.</param>
/// <param name="GeneratesText">False for embeddings: they have a prompt and no completion.</param>
public sealed record ReserveRequest(
    Guid KeyId,
    QuotaLimits Limits,
    long PromptTokens,
    long? RequestedCompletionTokens,
    bool GeneratesText);
