using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OllamaQuota.Core.Data;

/// <summary>
/// A parsed <c>DATABASE_URL</c> (or Aspire's <c>ConnectionStrings__quotadb</c>): which provider, and the ADO.NET
/// connection string for it. <see cref="Display"/> is safe to log: it never contains a password.
/// </summary>
public sealed record DatabaseUrl(DatabaseProvider Provider, string ConnectionString, string Display)
{
    public const string Variable = "DATABASE_URL";
    public const string AspireConnectionName = "quotadb";
    public const string Default = "sqlite:///./data/ollamaquota.db";

    /// <summary>
    /// PostgreSQL connections per service instance unless the URL or connection string sets <c>Maximum Pool Size</c>.
    /// Npgsql's own default, 100, lets two instances exhaust a stock server (max_connections 100, 3 reserved); at 20,
    /// three proxies and the admin hold at most 80 and leave room for psql and <c>init-db</c>.
    /// </summary>
    public const int DefaultMaxPoolSize = 20;

    private const string Expected = "expected sqlite:///path/to/file.db or postgresql://user:password@host:5432/database";

    /// <summary>The SQLite file path, or null for PostgreSQL.</summary>
    public string? SqlitePath => Provider == DatabaseProvider.Sqlite
        ? new SqliteConnectionStringBuilder(ConnectionString).DataSource
        : null;

    /// <summary>Aspire's connection string (Npgsql key=value form) wins over <c>DATABASE_URL</c>, which wins over the default.</summary>
    public static DatabaseUrl FromConfiguration(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var aspire = configuration.GetSection("ConnectionStrings")[AspireConnectionName];
        if (!string.IsNullOrWhiteSpace(aspire))
        {
            return FromNpgsqlConnectionString(aspire);
        }

        var url = configuration[Variable];
        return Parse(string.IsNullOrWhiteSpace(url) ? Default : url);
    }

    public static DatabaseUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        url = url.Trim();

        if (url.StartsWith("sqlite://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseSqlite(url);
        }

        if (url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return ParsePostgres(url);
        }

        throw Invalid($"unknown scheme in '{Redact(url)}'");
    }

    private static DatabaseUrl ParseSqlite(string url)
    {
        // SQLAlchemy's convention, which the seeds used: sqlite:///relative/path and sqlite:////absolute/path.
        const string prefix = "sqlite:///";
        if (!url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || url.Length == prefix.Length)
        {
            throw Invalid($"'{url}' has no file path after sqlite:///");
        }

        var path = Uri.UnescapeDataString(url[prefix.Length..]);
        var fullPath = Path.GetFullPath(path);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Default,
            Pooling = true,

            // Admin and proxy are separate processes on one file; wait for the other's write lock instead of failing.
            DefaultTimeout = 30,
        };
        return new DatabaseUrl(DatabaseProvider.Sqlite, builder.ConnectionString, $"sqlite:///{fullPath}");
    }

    private static DatabaseUrl ParsePostgres(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid($"'{Redact(url)}' is not a valid URL with a host");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
        {
            throw Invalid($"'{Redact(url)}' names no database (…@host:5432/database)");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = database,
        };

        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var (name, value) in QueryParameters(uri.Query))
        {
            try
            {
                builder[name] = value;
            }
            catch (ArgumentException)
            {
                throw Invalid($"unknown PostgreSQL option '{name}' in the query string");
            }
        }

        return Postgres(builder);
    }

    private static DatabaseUrl FromNpgsqlConnectionString(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"ConnectionStrings__{AspireConnectionName} is not a valid PostgreSQL connection string: {e.Message}", e);
        }

        return Postgres(builder);
    }

    private static DatabaseUrl Postgres(NpgsqlConnectionStringBuilder builder)
    {
        // Npgsql's builder claims every keyword it knows; its ConnectionString lists only the ones that were set.
        if (!new DbConnectionStringBuilder { ConnectionString = builder.ConnectionString }.ContainsKey("Maximum Pool Size"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        return new DatabaseUrl(DatabaseProvider.PostgreSql, builder.ConnectionString, Describe(builder));
    }

    private static IEnumerable<(string Name, string Value)> QueryParameters(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            yield return (Uri.UnescapeDataString(parts[0]), parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : "");
        }
    }

    private static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";

    private static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 && at > scheme ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }

    private static ArgumentException Invalid(string reason) => new($"{Variable} is not valid: {reason}; {Expected}.");
}
