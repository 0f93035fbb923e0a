using Microsoft.Extensions.Options;

namespace OllamaQuota.Admin;

/// <summary>The Admin's settings, from flat environment variables (see README, configuration).</summary>
public sealed class AdminOptions
{
    public const int MinimumPasswordLength = 12;

    /// <summary><c>ADMIN_PASSWORD</c>: the bearer secret for the Admin API and UI.</summary>
    public string Password { get; set; } = "";

    /// <summary><c>ALLOWED_ORIGINS</c>, comma-separated: browser origins allowed to call the API (the Vite dev server).</summary>
    public string[] AllowedOrigins { get; set; } = ["http://localhost:5173"];

    /// <summary><c>PROXY_PUBLIC_URL</c>: what clients should call; shown in the UI's examples.</summary>
    public string? ProxyPublicUrl { get; set; }

    /// <summary><c>PROXY_PORT</c>, used to guess the public URL when none is set.</summary>
    public int ProxyPort { get; set; } = 8000;

    /// <summary>Failed logins from one address within <see cref="FailedLoginWindow"/> before it gets 429s.</summary>
    public int MaxFailedLogins { get; set; } = 10;

    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>ADMIN_TRUSTED_PROXIES</c>, comma-separated addresses or CIDR networks of reverse proxies in front of the
    /// Admin. Only connections from these may name the client in <c>X-Forwarded-For</c> (for the audit log and the
    /// failed-login throttle); with none set, the header is ignored and the connection's peer is the caller.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>The largest request body the Admin API reads.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    internal static void Bind(AdminOptions options, IConfiguration configuration)
    {
        options.Password = configuration["ADMIN_PASSWORD"] ?? "";
        if (configuration["ALLOWED_ORIGINS"] is { Length: > 0 } origins)
        {
            options.AllowedOrigins = origins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        if (configuration["ADMIN_TRUSTED_PROXIES"] is { Length: > 0 } proxies)
        {
            options.TrustedProxies = proxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        options.ProxyPublicUrl = configuration["PROXY_PUBLIC_URL"] is { Length: > 0 } url ? url.TrimEnd('/') : null;
        if (configuration["PROXY_PORT"] is { Length: > 0 } port && int.TryParse(port, out var proxyPort))
        {
            options.ProxyPort = proxyPort;
        }
    }
}

internal sealed class AdminOptionsValidation : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        List<string> failures = [];
        if (string.IsNullOrEmpty(options.Password))
        {
            failures.Add("ADMIN_PASSWORD is not set: the Admin refuses to start without it (the run command writes one into .env).");
        }
        else if (options.Password.Length < AdminOptions.MinimumPasswordLength)
        {
            failures.Add($"ADMIN_PASSWORD is too short: use at least {AdminOptions.MinimumPasswordLength} characters.");
        }

        foreach (var origin in options.AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out _))
            {
                failures.Add($"ALLOWED_ORIGINS contains '{origin}', which is not an absolute origin such as http://localhost:5173.");
            }
        }

        foreach (var proxy in options.TrustedProxies)
        {
            if (!AdminForwardedHeaders.TryParseNetwork(proxy, out _))
            {
                failures.Add($"ADMIN_TRUSTED_PROXIES contains '{proxy}', which is neither an IP address nor a CIDR network such as 10.0.0.0/8.");
            }
        }

        if (options.ProxyPublicUrl is { } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            failures.Add($"PROXY_PUBLIC_URL '{url}' is not an absolute URL.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
