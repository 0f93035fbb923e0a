using OllamaQuota.Core.Audit;

namespace OllamaQuota.Admin.Audit;

internal static class AuditCaller
{
    /// <summary>
    /// Every Admin API caller holds the one admin password, so the actor is "admin"; the address is the connection's
    /// peer, or the client a trusted reverse proxy names (<c>ADMIN_TRUSTED_PROXIES</c>, see AdminForwardedHeaders).
    /// </summary>
    public static AuditActor Of(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }

        return new AuditActor("admin", address?.ToString());
    }
}
