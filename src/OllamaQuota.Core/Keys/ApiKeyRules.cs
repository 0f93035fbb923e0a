namespace OllamaQuota.Core.Keys;

/// <summary>
/// What makes a key's name, limits and expiry valid; shared by the Admin API and the command line so both refuse
/// the same input with the same words. Field names are the wire (snake_case) names.
/// </summary>
public static class ApiKeyRules
{
    public const int MaxNameLength = 200;

    public static readonly string[] LimitFields = ["daily_tokens", "monthly_tokens", "daily_requests", "monthly_requests"];

    public static string? CheckName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "is required"
        : name.Trim().Length > MaxNameLength ? $"must be at most {MaxNameLength} characters"
        : null;

    public static string? CheckLimit(long? limit) => limit is < 0 ? "must be zero or a positive whole number, or null for unlimited" : null;

    public static string? CheckExpiry(DateTime? expiresAtUtc, DateTime utcNow) =>
        expiresAtUtc is { } expires && expires <= utcNow ? "must be in the future" : null;
}
