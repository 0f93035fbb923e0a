using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Proxy.Keys;

/// <summary>What the proxy needs of a key on every request; never the plaintext.</summary>
public sealed record CachedKey(Guid Id, bool IsActive, DateTime? ExpiresAt, QuotaLimits Limits, ModelAccess Models);
