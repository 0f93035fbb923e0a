using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace OllamaQuota.Core.Hosting;

/// <summary>Where a service listens: <c>{prefix}_HOST</c> and <c>{prefix}_PORT</c>, e.g. ADMIN_HOST / ADMIN_PORT.</summary>
public static class ListenAddress
{
    /// <summary>
    /// Applies HOST/PORT unless neither is set and the host was given URLs another way (Aspire sets
    /// ASPNETCORE_URLS), so both launchers work.
    /// </summary>
    public static void Apply(WebApplicationBuilder builder, string prefix, string defaultHost, int defaultPort)
    {
        var host = builder.Configuration[$"{prefix}_HOST"];
        var port = builder.Configuration[$"{prefix}_PORT"];
        if (host is null && port is null && !string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            return;
        }

        host = string.IsNullOrWhiteSpace(host) ? defaultHost : host.Trim();
        var portNumber = defaultPort;
        if (!string.IsNullOrWhiteSpace(port) && (!int.TryParse(port, out portNumber) || portNumber is < 0 or > 65535))
        {
            throw new ArgumentException($"{prefix}_PORT '{port}' is not a port number (0–65535).");
        }

        var hostPart = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        builder.WebHost.UseUrls($"http://{hostPart}:{portNumber}");
    }
}
