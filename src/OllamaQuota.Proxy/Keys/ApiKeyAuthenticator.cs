using System.Globalization;
using OllamaQuota.Core.Keys;

namespace OllamaQuota.Proxy.Keys;

/// <summary>Finds the caller's key from <c>Authorization: Bearer sk-…</c> or <c>Authorization: sk-…</c>.</summary>
public sealed class ApiKeyAuthenticator(KeyCache cache, TimeProvider time)
{
    public async ValueTask<AuthenticationResult> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        var presented = authorization.AsSpan().Trim();
        if (presented.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase)
            && (presented.Length == "Bearer".Length || char.IsWhiteSpace(presented["Bearer".Length])))
        {
            presented = presented["Bearer".Length..].Trim();
        }

        if (presented.IsEmpty)
        {
            return AuthenticationResult.Fail("Missing API key: send it as 'Authorization: Bearer sk-…'.");
        }

        var key = await cache.FindAsync(ApiKeySecret.Hash(presented), cancellationToken);
        if (key is null)
        {
            return AuthenticationResult.Fail("Invalid API key.");
        }

        if (key.IsDeleted)
        {
            return AuthenticationResult.Fail("This API key has been deleted.");
        }

        if (!key.IsActive)
        {
            return AuthenticationResult.Fail("This API key has been deactivated.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (key.SecretRetiresAt is { } retires && retires <= now)
        {
            return AuthenticationResult.Fail("This API key has been rotated: use the new key that replaced it.");
        }

        if (key.ExpiresAt is { } expires && expires <= now)
        {
            return AuthenticationResult.Fail($"This API key expired at {expires.ToString("u", CultureInfo.InvariantCulture)}.");
        }

        return new AuthenticationResult(key, null);
    }
}

public sealed record AuthenticationResult(CachedKey? Key, string? Error)
{
    public static AuthenticationResult Fail(string error) => new(null, error);
}
