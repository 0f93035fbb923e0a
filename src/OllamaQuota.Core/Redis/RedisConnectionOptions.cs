using System.Globalization;
using System.Net.Security;
using System.Text;

namespace OllamaQuota.Core.Redis;

/// <summary>Where and how to connect. Build one with <see cref="Parse"/> from <c>REDIS_URL</c> or an Aspire connection string.</summary>
public sealed class RedisConnectionOptions
{
    public const int DefaultPort = 6379;

    public string Host { get; set; } = "localhost";

    public int Port { get; set; } = DefaultPort;

    /// <summary>ACL user for <c>AUTH user password</c>; null sends the single-argument <c>AUTH password</c>.</summary>
    public string? User { get; set; }

    public string? Password { get; set; }

    public int Database { get; set; }

    public bool UseTls { get; set; }

    /// <summary>Name the server certificate must carry; defaults to <see cref="Host"/>.</summary>
    public string? TlsHost { get; set; }

    /// <summary>Custom certificate check, e.g. to trust a private CA. Null uses the operating system's trust store.</summary>
    public RemoteCertificateValidationCallback? CertificateValidation { get; set; }

    /// <summary>Sent as <c>CLIENT SETNAME</c> so operators can tell connections apart in <c>CLIENT LIST</c>; null skips it.</summary>
    public string? ClientName { get; set; } = "ollamaquota";

    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection that has commands in flight but receives nothing for this long is treated as dead and replaced,
    /// so a half-open TCP connection cannot make every command time out for minutes.
    /// </summary>
    public TimeSpan UnresponsiveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the subscriber connection pings to notice a silently dead link.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When true, the first <c>ConnectAsync</c> throws if Redis cannot be reached; when false it returns and keeps retrying.</summary>
    public bool AbortOnConnectFail { get; set; } = true;

    internal string Endpoint => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>
    /// Parses <c>redis://[user:password@]host[:port][/db]</c>, <c>rediss://…</c> (TLS) or the StackExchange/Aspire form
    /// <c>host:port,password=…,ssl=true,user=…,defaultDatabase=N,abortConnect=false</c>. Errors name
    /// <paramref name="settingName"/> and never echo the password.
    /// </summary>
    public static RedisConnectionOptions Parse(string value, string settingName = "REDIS_URL")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(settingName, "is empty");
        }

        var text = value.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = text[..schemeEnd];
            if (scheme.Equals("redis", StringComparison.OrdinalIgnoreCase) || scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase))
            {
                return ParseUrl(text[(schemeEnd + 3)..], useTls: scheme.Length == 6, settingName);
            }

            // Only the scheme is echoed: the rest may carry a password.
            throw Invalid(settingName, $"has unsupported scheme '{Sanitize(scheme)}'; use redis:// or rediss:// (TLS)");
        }

        return ParseStackExchange(text, settingName);
    }

    /// <summary>Throws when a setting is out of range; called by the connection so bad options fail at start.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Redis host must not be empty.", nameof(Host));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 1, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfNegative(Database, nameof(Database));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CommandTimeout, TimeSpan.Zero, nameof(CommandTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectMinDelay, TimeSpan.Zero, nameof(ReconnectMinDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMaxDelay, ReconnectMinDelay, nameof(ReconnectMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UnresponsiveTimeout, TimeSpan.Zero, nameof(UnresponsiveTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveInterval, TimeSpan.Zero, nameof(KeepAliveInterval));
        if (User is not null && Password is null)
        {
            throw new ArgumentException("A Redis user needs a password.", nameof(Password));
        }
    }

    public RedisConnectionOptions Clone() => (RedisConnectionOptions)MemberwiseClone();

    /// <summary>The connection as a URL with the password masked, safe for logs.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(UseTls ? "rediss://" : "redis://");
        if (Password is not null)
        {
            builder.Append(User is null ? string.Empty : Uri.EscapeDataString(User)).Append(":***@");
        }

        builder.Append(Endpoint);
        if (Database != 0)
        {
            builder.Append('/').Append(Database.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    private static RedisConnectionOptions ParseUrl(string rest, bool useTls, string settingName)
    {
        var options = new RedisConnectionOptions { UseTls = useTls };

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
            options.User = user.Length == 0 ? null : user;
            options.Password = password.Length == 0 ? null : password;
            if (options.User is not null && options.Password is null)
            {
                throw Invalid(settingName, "names a user but no password");
            }
        }

        var authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        ParseEndpoint(authority, options, settingName);

        if (authorityEnd >= 0 && rest[authorityEnd] == '/')
        {
            var path = rest[(authorityEnd + 1)..];
            var pathEnd = path.IndexOfAny(['?', '#']);
            var database = pathEnd < 0 ? path : path[..pathEnd];
            if (database.Length > 0)
            {
                options.Database = ParseDatabase(database, settingName);
            }
        }

        // Query options (e.g. ?protocol=3) are ignored like unknown StackExchange options.
        return options;
    }

    private static RedisConnectionOptions ParseStackExchange(string text, string settingName)
    {
        var options = new RedisConnectionOptions();
        var sawEndpoint = false;
        foreach (var rawPart in text.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                // Extra endpoints (replicas, sentinels) are not supported; the first is the primary.
                if (!sawEndpoint)
                {
                    ParseEndpoint(part, options, settingName);
                    sawEndpoint = true;
                }

                continue;
            }

            var key = part[..equals].Trim();
            var optionValue = part[(equals + 1)..].Trim();
            switch (key.ToLowerInvariant())
            {
                case "password":
                    options.Password = optionValue.Length == 0 ? null : optionValue;
                    break;
                case "user":
                    options.User = optionValue.Length == 0 ? null : optionValue;
                    break;
                case "ssl":
                    options.UseTls = ParseBool(key, optionValue, settingName);
                    break;
                case "sslhost":
                    options.TlsHost = optionValue.Length == 0 ? null : optionValue;
                    break;
                case "defaultdatabase":
                    options.Database = ParseDatabase(optionValue, settingName);
                    break;
                case "abortconnect":
                    options.AbortOnConnectFail = ParseBool(key, optionValue, settingName);
                    break;
                case "name":
                    options.ClientName = optionValue.Length == 0 ? null : optionValue;
                    break;
                case "connecttimeout":
                    options.ConnectTimeout = ParseMilliseconds(key, optionValue, settingName);
                    break;
                case "synctimeout":
                case "asynctimeout":
                    options.CommandTimeout = ParseMilliseconds(key, optionValue, settingName);
                    break;
                default:
                    break;
            }
        }

        if (!sawEndpoint)
        {
            throw Invalid(settingName, "names no host (expected host:port first, e.g. localhost:6379,password=…)");
        }

        if (options.User is not null && options.Password is null)
        {
            throw Invalid(settingName, "names a user but no password");
        }

        return options;
    }

    private static void ParseEndpoint(string authority, RedisConnectionOptions options, string settingName)
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
                if (after[0] != ':')
                {
                    throw Invalid(settingName, $"has unexpected text '{Sanitize(after)}' after the host");
                }

                port = after[1..];
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

        options.Host = host;
        if (port is not null)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                throw Invalid(settingName, $"has port '{Sanitize(port)}', which is not a number from 1 to 65535");
            }

            options.Port = number;
        }
    }

    private static int ParseDatabase(string text, string settingName)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var database))
        {
            throw Invalid(settingName, $"has database '{Sanitize(text)}', which is not a non-negative integer");
        }

        return database;
    }

    private static bool ParseBool(string key, string text, string settingName) =>
        bool.TryParse(text, out var result)
            ? result
            : throw Invalid(settingName, $"has {key}='{Sanitize(text)}', which is not true or false");

    private static TimeSpan ParseMilliseconds(string key, string text, string settingName) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw Invalid(settingName, $"has {key}='{Sanitize(text)}', which is not a positive number of milliseconds");

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

    // Keeps echoed fragments short and printable; callers only echo parts that cannot hold the password.
    private static string Sanitize(string text) => text.Length > 40 ? string.Concat(text.AsSpan(0, 40), "…") : text;

    private static FormatException Invalid(string settingName, string problem) =>
        new($"{settingName} {problem}. Expected redis://[user:password@]host:port[/db], rediss://… for TLS, or host:port,password=…,ssl=true,defaultDatabase=N.");
}
