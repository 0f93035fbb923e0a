using Microsoft.Extensions.Options;

namespace OllamaQuota.Proxy;

/// <summary>The proxy's settings, from flat environment variables (see README, configuration).</summary>
public sealed class ProxyOptions
{
    /// <summary><c>PROXY_MAX_BODY_BYTES</c>: larger request bodies get 413.</summary>
    public int MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary><c>UPSTREAM_TIMEOUT_SECONDS</c>: how long Ollama may take to start answering (loading a model is slow).</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a key record is trusted without a change notice; the backstop behind invalidation.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unknown key hash is remembered as unknown.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>CHANGE_POLL_MS</c>: how often the settings revision is read to learn of admin changes.</summary>
    public TimeSpan ChangePollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    internal static void Bind(ProxyOptions options, IConfiguration configuration)
    {
        options.MaxBodyBytes = Read(configuration, "PROXY_MAX_BODY_BYTES", options.MaxBodyBytes);
        options.UpstreamTimeout = TimeSpan.FromSeconds(Read(configuration, "UPSTREAM_TIMEOUT_SECONDS", (int)options.UpstreamTimeout.TotalSeconds));
        options.ChangePollInterval = TimeSpan.FromMilliseconds(Read(configuration, "CHANGE_POLL_MS", (int)options.ChangePollInterval.TotalMilliseconds));
    }

    internal static int Read(IConfiguration configuration, string name, int defaultValue) =>
        configuration[name] is not { Length: > 0 } text ? defaultValue
        : int.TryParse(text, out var value) && value > 0 ? value
        : throw new ArgumentException($"{name} '{text}' is not a positive whole number.");
}
