using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Proxy.Keys;

/// <summary>What the proxy needs of a key on every request; never the plaintext.</summary>
/// <param name="SecretRetiresAt">
/// Set when the presented secret is the one a rotation replaced: it works until then, its grace period, and is
/// refused as rotated after. Checked on every request, so a cached entry never outlives the grace.
/// </param>
/// <param name="AllowedModels">The allow-list as stored (empty: every model), for <c>GET /quota</c>.</param>
/// <param name="Owner">The key's owner, whose limits apply across all of its keys; null for a key on its own.</param>
public sealed record CachedKey(
    Guid Id, string Name, string Prefix, bool IsActive, bool IsDeleted, DateTime? ExpiresAt, DateTime? SecretRetiresAt,
    QuotaLimits Limits, ModelAccess Models, IReadOnlyList<string> AllowedModels, CachedOwner? Owner)
{
    /// <summary>How many times the key changed owner.</summary>
    public long OwnerChanges { get; init; }

    /// <summary>The ledger's request for this key: its limits and its owner's.</summary>
    public ReserveRequest Reserve(long promptTokens, long? requestedCompletionTokens, bool generatesText) =>
        new(Id, Limits, promptTokens, requestedCompletionTokens, generatesText)
        {
            Owner = Owner is { } owner ? new OwnerQuota(owner.Id, owner.KeysVersion, owner.Limits) : null,
            OwnerChanges = OwnerChanges,
        };
}

public sealed record CachedOwner(Guid Id, string Name, long KeysVersion, QuotaLimits Limits);
