using System.Text.Json;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Settings;

/// <summary>
/// What the proxy changes or refuses in a request so that one key cannot take Ollama over for everyone: how long a
/// model stays loaded, how large a context it is loaded with, and how many and how large images a request carries.
/// Null limits are off.
/// </summary>
public sealed record Guardrails(long? MaxKeepAliveSeconds, NumCtxRules NumCtx, int? MaxImagesPerRequest, long? MaxImageBytes)
{
    public static readonly Guardrails None = new(null, NumCtxRules.None, null, null);

    /// <summary>The longest keep-alive an admin may set as the maximum: a year.</summary>
    public const long LongestKeepAliveSeconds = 365L * 24 * 3600;

    /// <summary>
    /// Options that decide how a model is loaded: a request that changes one makes Ollama reload the model for every
    /// caller. Always removed from requests (num_ctx, which also reloads, has its own rules).
    /// </summary>
    public static readonly string[] LoadTimeOptions = ["num_gpu", "main_gpu", "use_mlock", "use_mmap", "num_thread", "low_vram", "numa"];

    /// <summary>Whether an <c>options</c> property is one of <see cref="LoadTimeOptions"/> (compared as UTF-8, in place).</summary>
    public static bool IsLoadTimeOption(JsonProperty property)
    {
        foreach (var name in LoadTimeOptions)
        {
            if (property.NameEquals(name))
            {
                return true;
            }
        }

        return false;
    }

    public static Guardrails From(SettingsRow row) =>
        new(row.MaxKeepAliveSeconds, NumCtxRules.FromStored(row.NumCtxRules), row.MaxImagesPerRequest, row.MaxImageBytes);
}
