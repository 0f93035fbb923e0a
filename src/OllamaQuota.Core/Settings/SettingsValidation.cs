using OllamaQuota.Core.Data;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Core.Settings;

/// <summary>The rules for admin-editable settings, shared by the Admin API, the command line and the seed values.</summary>
public static class SettingsValidation
{
    /// <summary>The URL as stored: no surrounding whitespace, no trailing slash (the proxy appends paths to it).</summary>
    public static string NormalizeOllamaUrl(string url) => url.Trim().TrimEnd('/');

    /// <summary>Null when valid; otherwise why not. Checked as it will be stored (<see cref="NormalizeOllamaUrl"/>).</summary>
    public static string? CheckOllamaUrl(string? url)
    {
        var stored = url is null ? "" : NormalizeOllamaUrl(url);
        if (stored.Length > ColumnLengths.OllamaUrl)
        {
            return $"must be at most {ColumnLengths.OllamaUrl} characters";
        }

        // Uri accepts a NUL or a space in a path; neither belongs in a URL, and PostgreSQL cannot store a NUL.
        if (stored.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "must not contain spaces or control characters";
        }

        return Uri.TryCreate(stored, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && !string.IsNullOrEmpty(uri.Host)
                ? null
                : "must be an absolute http:// or https:// URL";
    }

    public static string? CheckDefaultModel(string? model) =>
        string.IsNullOrWhiteSpace(model) ? "must not be empty"
        : ModelName.IsValid(model.Trim()) ? null
        : $"must be {ModelName.Requirement}";
}
