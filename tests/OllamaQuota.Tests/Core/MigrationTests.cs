using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Core;

public sealed class MigrationSqliteTests() : MigrationTests(DatabaseKind.Sqlite);

public sealed class MigrationPostgresTests() : MigrationTests(DatabaseKind.PostgreSql);

public abstract class MigrationTests(DatabaseKind kind)
{
    [Fact]
    public async Task Initialize_EmptyDatabaseThenAgain_AppliesOnceThenIsANoOp()
    {
        var url = await TestDatabases.CreateAsync(kind);
        await using var services = TestDatabases.Services(url);
        var initializer = services.GetRequiredService<DatabaseInitializer>();

        var first = await initializer.InitializeAsync(CancellationToken.None);
        var second = await initializer.InitializeAsync(CancellationToken.None);

        Assert.Equal(["20261122000000_Initial"], first);
        Assert.Empty(second);
        await initializer.EnsureReadyAsync(CancellationToken.None);
        await using var db = await TestDatabases.OpenAsync(url);
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
}
