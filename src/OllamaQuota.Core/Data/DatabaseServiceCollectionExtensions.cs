using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Core.Data;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="QuotaDbContext"/> (pooled factory) for the provider named by <c>DATABASE_URL</c>.
    /// A malformed URL throws here, at start, with a message naming the variable.
    /// </summary>
    public static IServiceCollection AddQuotaDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var database = DatabaseUrl.FromConfiguration(configuration);
        services.AddSingleton(database);
        services.AddSingleton(SettingsDefaults.FromConfiguration(configuration));
        services.AddPooledDbContextFactory<QuotaDbContext>(options => Configure(options, database));
        services.AddSingleton<DatabaseInitializer>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return services;
    }

    internal static void Configure(DbContextOptionsBuilder options, DatabaseUrl database)
    {
        _ = database.Provider switch
        {
            DatabaseProvider.Sqlite => options.UseSqlite(database.ConnectionString),
            DatabaseProvider.PostgreSql => options.UseNpgsql(database.ConnectionString),
            _ => throw new InvalidOperationException($"Unsupported provider {database.Provider}."),
        };

        // The migrations are hand-written and carry no model snapshot (the Design package is unavailable), so EF
        // would always see "pending model changes". The migration tests check the schema against the model instead.
        options.ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning));
    }
}
