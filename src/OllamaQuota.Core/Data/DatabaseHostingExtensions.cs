using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Core.Data;

public static class DatabaseHostingExtensions
{
    /// <summary>
    /// Registers <see cref="QuotaDbContext"/> (pooled factory) for the provider named by <c>DATABASE_URL</c>.
    /// A malformed URL throws here, at start, with a message naming the variable.
    /// </summary>
    public static TBuilder AddQuotaDatabase<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var database = DatabaseUrl.FromConfiguration(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(database);
        services.AddSingleton(SettingsDefaults.FromConfiguration(builder.Configuration));
        services.AddPooledDbContextFactory<QuotaDbContext>(options => Configure(options, database));
        services.AddSingleton<DatabaseInitializer>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");

        if (database.Provider == DatabaseProvider.PostgreSql)
        {
            // Aspire's integration retries transient failures (a connection the server closed, a failover, "too many
            // clients") with backoff, and adds Npgsql's tracing and metrics. Its health check is left off: it would
            // check the same database a second time, under another name than the "database" check both providers share.
            builder.EnrichNpgsqlDbContext<QuotaDbContext>(settings => settings.DisableHealthChecks = true);
        }

        return builder;
    }

    /// <summary>The provider, and the assembly holding that provider's migrations (one set per provider).</summary>
    internal static void Configure(DbContextOptionsBuilder options, DatabaseUrl database) => _ = database.Provider switch
    {
        DatabaseProvider.Sqlite => options.UseSqlite(
            database.ConnectionString, sqlite => sqlite.MigrationsAssembly(QuotaMigrations.SqliteAssembly)),
        DatabaseProvider.PostgreSql => options.UseNpgsql(
            database.ConnectionString, npgsql => npgsql.MigrationsAssembly(QuotaMigrations.PostgreSqlAssembly)),
        _ => throw new InvalidOperationException($"Unsupported provider {database.Provider}."),
    };
}
