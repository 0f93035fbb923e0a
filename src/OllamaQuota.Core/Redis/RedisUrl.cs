using System.Globalization;
using StackExchange.Redis;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// <c>REDIS_URL</c> as StackExchange.Redis <see cref="ConfigurationOptions"/>: <c>redis://[user:password@]host[:port][/db]</c>,
/// <c>rediss://…</c> for TLS, or the library's own <c>host:port,password=…,ssl=true</c> form. Errors name the
/// setting and never echo the password.
/// </summary>
public static class RedisUrl
{
    public const int DefaultPort = 6379;

    public static ConfigurationOptions Parse(string value, string settingName)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(settingName, "is empty");
        }

        var text = value.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return ParseLibraryForm(text, settingName);
        }

        var scheme = text[..schemeEnd];
        if (!scheme.Equals("redis", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase))
        {
            // Only the scheme is echoed: the rest may carry a password.
            throw Invalid(settingName, $"has unsupported scheme '{Shorten(scheme)}'; use redis:// or rediss:// (TLS)");
        }

        return ParseUrl(text[(schemeEnd + 3)..], useTls: scheme.Length == 6, settingName);
    }

    private static ConfigurationOptions ParseUrl(string rest, bool useTls, string settingName)
    {
        var options = new ConfigurationOptions { Ssl = useTls };

        // Host, port and database never contain '@', so the last one ends the user info even if the password has '@' or '/'.
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                // Not echoed: people do put a password where the user name goes.
                throw Invalid(settingName, "has user info without a ':'; write redis://:password@host or redis://user:password@host");
            }

            var user = Unescape(userInfo[..colon], settingName, "user name");
            var password = Unescape(userInfo[(colon + 1)..], settingName, "password");
            if (user.Length > 0 && password.Length == 0)
            {
                throw Invalid(settingName, "names a user but no password");
            }

            options.User = user.Length == 0 ? null : user;
            options.Password = password.Length == 0 ? null : password;
        }

        var authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        var (host, port) = ParseEndpoint(authorityEnd < 0 ? rest : rest[..authorityEnd], settingName);
        options.EndPoints.Add(host, port);
        if (authorityEnd >= 0 && rest[authorityEnd] == '/')
        {
            var path = rest[(authorityEnd + 1)..];
            var pathEnd = path.IndexOfAny(['?', '#']);
            var database = pathEnd < 0 ? path : path[..pathEnd];
            if (database.Length > 0)
            {
                options.DefaultDatabase = int.TryParse(database, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                    ? number
                    : throw Invalid(settingName, $"has database '{Shorten(database)}', which is not a non-negative integer");
            }
        }

        // Query options (e.g. ?protocol=3) are ignored, as the library ignores options it does not know.
        return options;
    }

    private static ConfigurationOptions ParseLibraryForm(string text, string settingName)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(text, ignoreUnknown: true);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            // The library names the option and the value it could not read; a password is never one of them, but
            // mask it anyway in case a future version echoes more.
            var passwords = text.Split(',')
                .Select(part => part.Trim())
                .Where(part => part.StartsWith("password=", StringComparison.OrdinalIgnoreCase) && part.Length > "password=".Length)
                .Select(part => part["password=".Length..]);
            var message = passwords.Aggregate(e.Message, (current, password) => current.Replace(password, "***", StringComparison.Ordinal));
            throw Invalid(settingName, $"cannot be read: {message}");
        }

        if (options.EndPoints.Count == 0)
        {
            throw Invalid(settingName, "names no host (expected host:port first, e.g. localhost:6379,password=…)");
        }

        if (options.User is not null && options.Password is null)
        {
            throw Invalid(settingName, "names a user but no password");
        }

        return options;
    }

    private static (string Host, int Port) ParseEndpoint(string authority, string settingName)
    {
        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid(settingName, "has an IPv6 host without a closing ']'");
            }

            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                port = after[0] == ':' ? after[1..] : throw Invalid(settingName, $"has unexpected text '{Shorten(after)}' after the host");
            }
        }
        else
        {
            var colon = authority.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && authority.IndexOf(':', colon + 1) >= 0)
            {
                throw Invalid(settingName, "has an IPv6 host that is not in brackets (write [::1]:6379)");
            }

            host = colon < 0 ? authority : authority[..colon];
            port = colon < 0 ? null : authority[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw Invalid(settingName, "has no host");
        }

        if (port is null)
        {
            return (host, DefaultPort);
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535
            ? (host, number)
            : throw Invalid(settingName, $"has port '{Shorten(port)}', which is not a number from 1 to 65535");
    }

    private static string Unescape(string text, string settingName, string what)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw Invalid(settingName, $"has a badly percent-encoded {what}");
        }
    }

    // Keeps echoed fragments short; callers only echo parts that cannot hold the password.
    private static string Shorten(string text) => text.Length > 40 ? string.Concat(text.AsSpan(0, 40), "…") : text;

    private static FormatException Invalid(string settingName, string problem) =>
        new($"{settingName} {problem}. Expected redis://[user:password@]host:port[/db], rediss://… for TLS, or host:port,password=…,ssl=true,defaultDatabase=N.");
}
