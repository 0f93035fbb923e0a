using Microsoft.Extensions.Configuration;

namespace OllamaQuota.Core.Settings;

/// <summary>What the settings row is seeded with on first init: <c>OLLAMA_URL</c> and <c>DEFAULT_MODEL</c>.</summary>
public sealed record SettingsDefaults(string OllamaUrl, string DefaultModel)
{
    public const string OllamaUrlVariable = "OLLAMA_URL";
    public const string DefaultModelVariable = "DEFAULT_MODEL";

    public static SettingsDefaults FromConfiguration(IConfiguration configuration)
    {
        var url = configuration[OllamaUrlVariable];
        var model = configuration[DefaultModelVariable];
        return new SettingsDefaults(
            string.IsNullOrWhiteSpace(url) ? "http://localhost:11434" : url.TrimEnd('/'),
            string.IsNullOrWhiteSpace(model) ? "llama3" : model.Trim());
    }
}
