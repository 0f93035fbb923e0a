using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Keys;

/// <summary>
/// What makes a key's name, limits and expiry valid; shared by the Admin API and the command line so both refuse
/// the same input with the same words. Field names are the wire (snake_case) names.
/// </summary>
public static class ApiKeyRules
{
    /// <summary>Every limit's field, in the order of <see cref="QuotaLimitKind"/>: the four seed limits first.</summary>
    public static readonly string[] LimitFields = [.. QuotaLimitKindExtensions.All.Select(kind => kind.ToWire())];

    /// <summary>Checked as it is stored: trimmed, at most its column's length, and plain text.</summary>
    public static string? CheckName(string? name)
    {
        var stored = name?.Trim();
        return string.IsNullOrEmpty(stored) ? "is required"
            : stored.Length > ColumnLengths.KeyName ? $"must be at most {ColumnLengths.KeyName} characters"
            : stored.Any(char.IsControl) ? "must not contain control characters (line breaks, tabs, NUL)"
            : null;
    }

    public static string? CheckLimit(long? limit) => limit is < 0 ? "must be zero or a positive whole number, or null for unlimited" : null;

    public static string? CheckExpiry(DateTime? expiresAtUtc, DateTime utcNow) =>
        expiresAtUtc is { } expires && expires <= utcNow ? "must be in the future" : null;
}
