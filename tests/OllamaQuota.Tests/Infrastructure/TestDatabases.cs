using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Tests.Infrastructure;

public enum DatabaseKind
{
    Sqlite,
    PostgreSql,
}

/// <summary>A fresh database per test, on either provider, as a <c>DATABASE_URL</c>.</summary>
public static class TestDatabases
{
    public static async Task<string> CreateAsync(DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite => $"sqlite:///{Path.Combine(Path.GetTempPath(), "oq-tests", $"{Guid.NewGuid():N}.db")}",
        DatabaseKind.PostgreSql => await (await PostgresServer.GetAsync()).CreateDatabaseAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A fresh database with every migration applied and settings seeded.</summary>
    public static async Task<string> CreateInitializedAsync(DatabaseKind kind, IDictionary<string, string?>? settings = null)
    {
        var url = await CreateAsync(kind);
        await InitializeAsync(url, settings);
        return url;
    }

    /// <summary>Applies every migration to the database at <paramref name="url"/> and seeds its settings.</summary>
    public static async Task InitializeAsync(string url, IDictionary<string, string?>? settings = null)
    {
        await using var services = Services(url, settings);
        await services.GetRequiredService<DatabaseInitializer>().InitializeAsync(CancellationToken.None);
    }

    /// <summary>The Core database services for <paramref name="url"/>, as the hosts register them.</summary>
    public static ServiceProvider Services(string url, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["DATABASE_URL"] = url });
        builder.AddQuotaDatabase();
        return builder.Services.BuildServiceProvider();
    }

    public static async Task<QuotaDbContext> OpenAsync(string url)
    {
        var services = Services(url);
        return await services.GetRequiredService<IDbContextFactory<QuotaDbContext>>()
            .CreateDbContextAsync();
    }

    /// <summary>
    /// Fills the overview's coarser roll-ups from the <c>usage_daily</c> rows a test added by hand, with the SQL the
    /// migration that created them backfills them with: the state of a database whose roll-ups the writer filled.
    /// </summary>
    public static Task FillCoarseRollupsAsync(QuotaDbContext db) => db.Database.ExecuteSqlRawAsync(
        db.Database.IsSqlite() ? UsageRollupBackfill.Sqlite : UsageRollupBackfill.PostgreSql);
}
