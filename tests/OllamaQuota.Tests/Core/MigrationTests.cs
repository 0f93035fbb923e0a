using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Core;

public sealed class MigrationSqliteTests() : MigrationTests(DatabaseKind.Sqlite);

public sealed class MigrationPostgresTests() : MigrationTests(DatabaseKind.PostgreSql);

public abstract class MigrationTests(DatabaseKind kind)
{
    private const string InitialMigration = "20261122000000_Initial";

    [Fact]
    public async Task Model_ComparedWithTheLastMigration_HasNoChangesThatNoMigrationHolds()
    {
        await using var db = await TestDatabases.OpenAsync(await TestDatabases.CreateAsync(kind));

        Assert.False(
            db.Database.HasPendingModelChanges(),
            $"The model has changes that no {kind} migration holds: add a migration to both sets (src/OllamaQuota.Migrations/README.md).");
    }

    [Fact]
    public async Task Initialize_DatabaseOfTheInitialRelease_KeepsEveryRowAndThenWorks()
    {
        var url = await TestDatabases.CreateAsync(kind);
        await RestoreInitialReleaseAsync(url);
        await using var services = TestDatabases.Services(url);
        var initializer = services.GetRequiredService<DatabaseInitializer>();

        var first = await initializer.InitializeAsync(CancellationToken.None);
        var second = await initializer.InitializeAsync(CancellationToken.None);

        Assert.DoesNotContain(InitialMigration, first);
        Assert.Empty(second);
        await initializer.EnsureReadyAsync(CancellationToken.None);
        var alice = Guid.Parse("3f2b8c1e-5d4a-4e6b-9a7c-1b2d3e4f5a6b");
        await using (var db = await TestDatabases.OpenAsync(url))
        {
            var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.Name).ToListAsync();
            Assert.Equal(["alice", "bob (deactivated)"], keys.Select(k => k.Name));
            Assert.Equal(alice, keys[0].Id);
            Assert.Equal(new DateTime(2026, 11, 23, 8, 15, 30, 123, DateTimeKind.Utc), keys[0].CreatedAt);
            Assert.Equal(new DateTime(2027, 6, 30, 0, 0, 0, DateTimeKind.Utc), keys[0].ExpiresAt);
            Assert.Equal((100000L, (long?)null, (long?)null, 10000L), (keys[0].DailyTokens, keys[0].MonthlyTokens, keys[0].DailyRequests, keys[0].MonthlyRequests));
            Assert.True(keys[0].IsActive);
            Assert.False(keys[1].IsActive);
            Assert.Equal(new DateTime(2026, 11, 24, 8, 15, 30, 123, DateTimeKind.Utc), keys[1].DeactivatedAt);
            Assert.Equal(3, await db.UsageEvents.CountAsync());
            Assert.Equal((20, 41), (await db.UsageEvents.SumAsync(e => e.PromptTokens), await db.UsageEvents.SumAsync(e => e.CompletionTokens)));
            var settings = await db.Settings.SingleAsync();
            Assert.Equal(("http://gpu-box:11434", 7L), (settings.OllamaUrl, settings.Revision));
        }

        // The current code works on it: a usage batch adds to the release's roll-up row, a key is added beside its keys.
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new UsageTelemetry(metrics.GetRequiredService<IMeterFactory>());
        var store = new UsageStore(
            services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
            new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System),
            telemetry,
            NullLogger<UsageStore>.Instance);
        var written = await store.WriteBatchAsync(
            [new UsageEvent
            {
                Id = Guid.NewGuid(), KeyId = alice, Model = "llama3", Endpoint = "/api/chat", PromptTokens = 1, CompletionTokens = 2,
                StatusCode = 200, DurationMs = 3, CreatedAt = new DateTime(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc),
            }],
            CancellationToken.None);
        await using (var db = await TestDatabases.OpenAsync(url))
        {
            db.ApiKeys.Add(new ApiKey { Id = Guid.NewGuid(), Name = "carol", KeyPrefix = "sk-CaRoL999", KeyHash = new string('3', 64), CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            var daily = await db.UsageDaily.SingleAsync(d => d.KeyId == alice && d.Day == new DateOnly(2026, 11, 23) && d.Model == "llama3");

            Assert.Equal(1, written);
            Assert.Equal((3L, 18L, 43L), (daily.Requests, daily.PromptTokens, daily.CompletionTokens));
            Assert.Equal(3, await db.ApiKeys.CountAsync());
        }
    }
    [Fact]
    public async Task Initialize_DatabaseOfTheInitialRelease_FillsTheOverviewRollupsFromTheDailyOnes()
    {
        var url = await TestDatabases.CreateAsync(kind);
        await RestoreInitialReleaseAsync(url);
        await using var services = TestDatabases.Services(url);

        await services.GetRequiredService<DatabaseInitializer>().InitializeAsync(CancellationToken.None);

        await using var db = await TestDatabases.OpenAsync(url);
        var modelDays = await db.UsageModelDaily.AsNoTracking().OrderBy(d => d.Model).ToListAsync();
        Assert.Equal(
            ["2026-11-23 llama3 2 17 41", "2026-11-23 mistral 0 3 0"],
            modelDays.Select(d => $"{d.Day:yyyy-MM-dd} {d.Model} {d.Requests} {d.PromptTokens} {d.CompletionTokens}"));
        var keyMonths = await db.UsageKeyMonthly.AsNoTracking().OrderBy(m => m.PromptTokens).ToListAsync();
        Assert.Equal(
            ["2026-11-01 a1b2c3d4-e5f6-4789-abcd-ef0123456789 0 3 0", "2026-11-01 3f2b8c1e-5d4a-4e6b-9a7c-1b2d3e4f5a6b 2 17 41"],
            keyMonths.Select(m => $"{m.Month:yyyy-MM-dd} {m.KeyId} {m.Requests} {m.PromptTokens} {m.CompletionTokens}"));
    }

    [Fact]
    public async Task Initialize_EmptyDatabaseThenAgain_AppliesOnceThenIsANoOp()
    {
        var url = await TestDatabases.CreateAsync(kind);
        await using var services = TestDatabases.Services(url);
        var initializer = services.GetRequiredService<DatabaseInitializer>();

        var first = await initializer.InitializeAsync(CancellationToken.None);
        var second = await initializer.InitializeAsync(CancellationToken.None);

        await using var db = await TestDatabases.OpenAsync(url);
        Assert.Equal(InitialMigration, first[0]);
        Assert.Equal(db.Database.GetMigrations(), first);
        Assert.Empty(second);
        await initializer.EnsureReadyAsync(CancellationToken.None);
        Assert.Equal(1, await db.Settings.CountAsync());
    }

    [Fact]
    public async Task Schema_AfterMigration_RoundTripsEveryEntityAsTheModelDescribesIt()
    {
        var url = await TestDatabases.CreateInitializedAsync(kind);
        var now = new DateTime(2026, 11, 22, 10, 30, 0, DateTimeKind.Utc);
        var keyId = Guid.NewGuid();
        await using (var db = await TestDatabases.OpenAsync(url))
        {
            db.ApiKeys.Add(new ApiKey
            {
                Id = keyId, Name = "n", KeyPrefix = "sk-12345678", KeyHash = new string('a', 64), CreatedAt = now,
                ExpiresAt = now.AddDays(1), DailyTokens = long.MaxValue, MonthlyRequests = 0,
            });
            db.UsageEvents.Add(new UsageEvent
            {
                Id = Guid.NewGuid(), KeyId = keyId, Model = "m", Endpoint = "/api/chat", PromptTokens = 1, CompletionTokens = 2,
                StatusCode = 200, DurationMs = 3, CreatedAt = now,
            });
            db.UsageDaily.Add(new UsageDaily { KeyId = keyId, Day = new DateOnly(2026, 11, 22), Model = "m", Requests = 1 });
            await db.SaveChangesAsync();
        }

        await using (var db = await TestDatabases.OpenAsync(url))
        {
            var key = await db.ApiKeys.SingleAsync();
            Assert.Equal(now, key.CreatedAt);
            Assert.Equal(DateTimeKind.Utc, key.CreatedAt.Kind);
            Assert.Equal(now.AddDays(1), key.ExpiresAt);
            Assert.Equal(long.MaxValue, key.DailyTokens);
            Assert.Null(key.MonthlyTokens);
            Assert.True(key.IsActive);
            Assert.Equal(now, (await db.UsageEvents.SingleAsync()).CreatedAt);
            Assert.Equal(new DateOnly(2026, 11, 22), (await db.UsageDaily.SingleAsync()).Day);
            Assert.Equal(1, await db.ApiKeys.CountAsync(k => k.ExpiresAt > now));
        }
    }

    [Fact]
    public async Task KeyHash_Duplicate_IsRejectedByTheUniqueIndex()
    {
        var url = await TestDatabases.CreateInitializedAsync(kind);
        await using var db = await TestDatabases.OpenAsync(url);
        ApiKey Key() => new() { Id = Guid.NewGuid(), Name = "n", KeyPrefix = "p", KeyHash = new string('b', 64), CreatedAt = DateTime.UtcNow };
        db.ApiKeys.Add(Key());
        await db.SaveChangesAsync();
        db.ApiKeys.Add(Key());

        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task EnsureReady_UnmigratedDatabase_ThrowsSayingHowToInit()
    {
        var url = await TestDatabases.CreateAsync(kind);
        if (kind == DatabaseKind.Sqlite)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(DatabaseUrl.Parse(url).SqlitePath)!);
        }

        await using var services = TestDatabases.Services(url);

        var error = await Assert.ThrowsAsync<DatabaseNotReadyException>(
            () => services.GetRequiredService<DatabaseInitializer>().EnsureReadyAsync(CancellationToken.None));

        Assert.Contains("init-db", error.Message, StringComparison.Ordinal);
        Assert.Contains("not initialised", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Loads <c>Core/Fixtures/initial-release.*.sql</c>: a database of the first release, with data in it.</summary>
    private async Task RestoreInitialReleaseAsync(string url)
    {
        var database = DatabaseUrl.Parse(url);
        var provider = kind == DatabaseKind.Sqlite ? "sqlite" : "postgresql";
        var dump = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Core", "Fixtures", $"initial-release.{provider}.sql"));
        if (database.SqlitePath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var sqlite = new SqliteConnection(database.ConnectionString);
            await sqlite.OpenAsync();
            await using var command = new SqliteCommand(dump, sqlite);
            await command.ExecuteNonQueryAsync();
        }
        else
        {
            // Unpooled: the dump empties search_path for its session.
            await using var postgres = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
            await postgres.OpenAsync();
            await using var command = new NpgsqlCommand(dump, postgres);
            await command.ExecuteNonQueryAsync();
        }
    }
}
