namespace OllamaQuota.Core.Quotas;

/// <summary>Whose limit: the key's own, or its owner's (across all of the owner's keys).</summary>
public enum QuotaScope
{
    Key,
    Owner,
}

public static class QuotaScopeExtensions
{
    public static string ToWire(this QuotaScope scope) => scope == QuotaScope.Owner ? "owner" : "key";

    /// <summary>
    /// A limit's name where both scopes meet (the 429's param, the RateLimit headers): the Admin API's field name for
    /// the key's own, prefixed with <c>owner.</c> for its owner's, e.g. <c>owner.daily_tokens</c>.
    /// </summary>
    public static string Name(this QuotaScope scope, QuotaLimitKind kind) =>
        scope == QuotaScope.Owner ? "owner." + kind.ToWire() : kind.ToWire();
}
