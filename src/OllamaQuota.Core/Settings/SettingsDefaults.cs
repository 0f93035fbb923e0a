using Microsoft.Extensions.Configuration;

namespace OllamaQuota.Core.Settings;

/// <summary>What the settings row is seeded with on first init: <c>OLLAMA_URL</c> and <c>DEFAULT_MODEL</c>.</summary>
public sealed record SettingsDefaults(string OllamaUrl, string DefaultModel)
{
    public const string OllamaUrlVariable = "OLLAMA_URL";
    public const string DefaultModelVariable = "DEFAULT_MODEL";

    /// <summary>Held to the rules the Admin API applies, so that a bad variable fails at start, named.</summary>
    public static SettingsDefaults FromConfiguration(IConfiguration configuration)
    {
        var url = configuration[OllamaUrlVariable];
        var model = configuration[DefaultModelVariable];
        var defaults = new SettingsDefaults(
            string.IsNullOrWhiteSpace(url) ? "http://localhost:11434" : SettingsValidation.NormalizeOllamaUrl(url),
            string.IsNullOrWhiteSpace(model) ? "llama3" : model.Trim());
        var problem = SettingsValidation.CheckOllamaUrl(defaults.OllamaUrl) is { } urlError ? $"{OllamaUrlVariable} {urlError}"
            : SettingsValidation.CheckDefaultModel(defaults.DefaultModel) is { } modelError ? $"{DefaultModelVariable} {modelError}"
            : null;
        return problem is null ? defaults : throw new ArgumentException(problem);
    }
}
