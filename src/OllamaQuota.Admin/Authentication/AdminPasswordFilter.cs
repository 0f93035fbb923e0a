using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Admin.Authentication;

/// <summary>Every Admin API route requires <c>Authorization: Bearer &lt;ADMIN_PASSWORD&gt;</c>.</summary>
public sealed class AdminPasswordFilter(IOptions<AdminOptions> options, FailedLoginThrottle throttle) : IEndpointFilter
{
    // Hashing both sides first makes the comparison constant-time whatever the lengths.
    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Password));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var address = http.Connection.RemoteIpAddress ?? IPAddress.None;

        if (throttle.RetryAfterSeconds(address) is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many failed logins",
                detail: $"Too many failed logins from this address; try again in {retryAfter} seconds.");
        }

        if (!IsAuthorized(http.Request.Headers.Authorization.ToString()))
        {
            throttle.RecordFailure(address);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Unauthorized",
                detail: "Send the admin password as 'Authorization: Bearer <ADMIN_PASSWORD>'.");
        }

        return await next(context);
    }

    private bool IsAuthorized(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _expectedHash);
    }
}
