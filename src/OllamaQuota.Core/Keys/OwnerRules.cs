using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

/// <summary>What makes an owner's name and contact valid, as stored (trimmed, within its column, plain text).</summary>
public static class OwnerRules
{
    public static string? CheckName(string? name)
    {
        var stored = name?.Trim();
        return string.IsNullOrEmpty(stored) ? "is required"
            : stored.Length > ColumnLengths.OwnerName ? $"must be at most {ColumnLengths.OwnerName} characters"
            : stored.Any(char.IsControl) ? "must not contain control characters (line breaks, tabs, NUL)"
            : null;
    }

    /// <summary>Optional: null or empty clears it.</summary>
    public static string? CheckContact(string? contact)
    {
        var stored = contact?.Trim();
        return stored is null ? null
            : stored.Length > ColumnLengths.OwnerContact ? $"must be at most {ColumnLengths.OwnerContact} characters"
            : stored.Any(char.IsControl) ? "must not contain control characters (line breaks, tabs, NUL)"
            : null;
    }

    /// <summary>The contact as stored: trimmed, and null for none.</summary>
    public static string? StoredContact(string? contact) => string.IsNullOrWhiteSpace(contact) ? null : contact.Trim();
}
