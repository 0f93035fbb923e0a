using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Admin.Retention;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin.Retention;

public sealed class UsageRetentionSqliteTests() : UsageRetentionTests(DatabaseKind.Sqlite);

public sealed class UsageRetentionPostgresTests() : UsageRetentionTests(DatabaseKind.PostgreSql);

/// <summary>usage_retention_days: old events deleted in batches, the roll-ups untouched; clock at 2026-03-15 11:00 UTC.</summary>
public abstract class UsageRetentionTests(DatabaseKind kind) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 15, 11, 0, 0, TimeSpan.Zero);

    private AdminHost _admin = null!;

    public async Task InitializeAsync()
    {
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), new ManualTimeProvider(Now));
        _admin = await AdminHost.StartAsync(kind, services: s => s.AddSingleton(calendar));
        await using var db = await _admin.OpenDbAsync();

        // Seven events a day for the last 40 days, and a roll-up for each day.
        var keyId = Guid.NewGuid();
        for (var day = 0; day < 40; day++)
        {
            var at = Now.UtcDateTime.AddDays(-day).AddMinutes(-1);
            db.UsageEvents.AddRange(Enumerable.Range(0, 7).Select(i => new UsageEvent
            {
                Id = Guid.NewGuid(), KeyId = keyId, Model = "llama3", Endpoint = "/api/chat", StatusCode = 200, CreatedAt = at.AddSeconds(-i),
            }));
            db.UsageDaily.Add(new UsageDaily { KeyId = keyId, Day = DateOnly.FromDateTime(at).AddDays(-1), Model = "llama3", Requests = 7 });
        }

        await db.SaveChangesAsync();
        await TestDatabases.FillCoarseRollupsAsync(db);
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task Prune_InBatchesOf4_DeletesEveryEventBeforeTheCutoffAndNoRollup()
    {
        var contexts = _admin.Services.GetRequiredService<IDbContextFactory<QuotaDbContext>>();

        var deleted = await UsageRetention.PruneAsync(contexts, Now.UtcDateTime.AddDays(-30), batchSize: 4, CancellationToken.None);

        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(10 * 7, deleted);
        Assert.Equal(30 * 7, await db.UsageEvents.CountAsync());
        Assert.False(await db.UsageEvents.AnyAsync(e => e.CreatedAt < Now.UtcDateTime.AddDays(-30)));
        Assert.Equal(40, await db.UsageDaily.CountAsync());
        Assert.Equal(280, await db.UsageDaily.SumAsync(d => d.Requests));
        Assert.Equal(40, await db.UsageModelDaily.CountAsync());
        Assert.Equal(280, await db.UsageModelDaily.SumAsync(d => d.Requests));
        Assert.Equal(280, await db.UsageKeyMonthly.SumAsync(m => m.Requests));
    }

    [Fact]
    public async Task Service_RetentionOf7DaysSetThroughTheApi_KeepsTheLast7Days()
    {
        var response = await _admin.Client.PutAsync("/api/settings", Json("""{"usage_retention_days": 7}"""));
        var settings = await response.Content.ReadFromJsonAsync<JsonElement>();

        var deleted = await _admin.Services.GetRequiredService<UsageRetentionService>().PruneAsync(CancellationToken.None);

        Assert.Equal(7, settings.GetProperty("usage_retention_days").GetInt32());
        Assert.Equal(33 * 7, deleted);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(7 * 7, await db.UsageEvents.CountAsync());
        Assert.Equal(40, await db.UsageDaily.CountAsync());
    }

    [Fact]
    public async Task Service_NoRetentionSet_KeepsEveryEvent()
    {
        var settings = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/settings");

        var deleted = await _admin.Services.GetRequiredService<UsageRetentionService>().PruneAsync(CancellationToken.None);

        Assert.Equal(JsonValueKind.Null, settings.GetProperty("usage_retention_days").ValueKind);
        Assert.Equal(0, deleted);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(40 * 7, await db.UsageEvents.CountAsync());
    }

    [Fact]
    public async Task UpdateSettings_RetentionBackToNull_KeepsForever()
    {
        await _admin.Client.PutAsync("/api/settings", Json("""{"usage_retention_days": 30}"""));

        var response = await _admin.Client.PutAsync("/api/settings", Json("""{"usage_retention_days": null}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Null((await db.Settings.SingleAsync()).UsageRetentionDays);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("36501")]
    [InlineData("1.5")]
    [InlineData("\"30\"")]
    public async Task UpdateSettings_BadRetention_Returns400NamingTheField(string value)
    {
        var response = await _admin.Client.PutAsync("/api/settings", Json($$"""{"usage_retention_days": {{value}}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("usage_retention_days", out _));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
