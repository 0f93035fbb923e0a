namespace OllamaQuota.Core.Settings;

/// <summary>The rules for admin-editable settings, shared by the Admin API and the command line.</summary>
public static class SettingsValidation
{
    /// <summary>Null when valid; otherwise why not.</summary>
    public static string? CheckOllamaUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && !string.IsNullOrEmpty(uri.Host)
            ? null
            : "must be an absolute http:// or https:// URL";

    public static string? CheckDefaultModel(string? model) =>
        string.IsNullOrWhiteSpace(model) ? "must not be empty" : model.Length > 200 ? "must be at most 200 characters" : null;
}
