using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Admin;

/// <summary>
/// Takes the caller's address from <c>X-Forwarded-For</c> only on connections from <c>ADMIN_TRUSTED_PROXIES</c>.
/// ASP.NET Core would otherwise trust loopback by default, and the Admin is reached over loopback (an SSH tunnel),
/// where anyone connecting could then write any address into the audit log.
/// </summary>
public static class AdminForwardedHeaders
{
    public static IServiceCollection AddAdminForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<AdminOptions>>((forwarded, admin) =>
        {
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in admin.Value.TrustedProxies)
            {
                if (TryParseNetwork(proxy, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }

            forwarded.ForwardedHeaders = forwarded.KnownIPNetworks.Count > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
        });
        return services;
    }

    /// <summary>An address (one host) or a CIDR network.</summary>
    public static bool TryParseNetwork(string text, out System.Net.IPNetwork network)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            network = new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return System.Net.IPNetwork.TryParse(text, out network);
    }
}
