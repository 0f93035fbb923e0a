using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Proxy.Keys;

/// <summary>What the proxy needs of a key on every request; never the plaintext.</summary>
/// <param name="SecretRetiresAt">
/// Set when the presented secret is the one a rotation replaced: it works until then, its grace period, and is
/// refused as rotated after. Checked on every request, so a cached entry never outlives the grace.
/// </param>
public sealed record CachedKey(
    Guid Id, bool IsActive, bool IsDeleted, DateTime? ExpiresAt, DateTime? SecretRetiresAt, QuotaLimits Limits, ModelAccess Models);
