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
    bool GeneratesText)
{
    /// <summary>The key's owner, whose limits the request must fit as well; null for a key on its own.</summary>
    public OwnerQuota? Owner { get; init; }

    /// <summary>How many times the key changed owner (<c>api_keys.owner_changes</c>).</summary>
    public long OwnerChanges { get; init; }
}

/// <summary>An owner as the ledger sees it.</summary>
/// <param name="KeysVersion">
/// The version of the owner's membership (<c>owners.keys_version</c>): its counters are kept per version, so a key
/// joining or leaving starts counters rebuilt from the usage of the keys the owner holds now.
/// </param>
public sealed record OwnerQuota(Guid OwnerId, long KeysVersion, QuotaLimits Limits);
