using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Usage;

public sealed class RefusalRollupSqliteTests() : RefusalRollupTests(DatabaseKind.Sqlite);

public sealed class RefusalRollupPostgresTests() : RefusalRollupTests(DatabaseKind.PostgreSql);

/// <summary>The roll-ups count errors and refusals apart from the requests the quotas count.</summary>
public abstract class RefusalRollupTests(DatabaseKind kind)
{
    [Fact]
    public async Task Store_ServedFailedAndRefusedEvents_RollupCountsEachKindAndOnlyServedAsRequests()
    {
        var url = await TestDatabases.CreateInitializedAsync(kind);
        await using var services = TestDatabases.Services(url);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new UsageTelemetry(metrics.GetRequiredService<IMeterFactory>());
        var store = new UsageStore(
            services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
            new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System), telemetry,
            NullLogger<UsageStore>.Instance);
        var keyId = Guid.NewGuid();
        UsageEvent Event(int status, bool refused = false)
        {
            var usage = SampleUsage.Event();
            (usage.KeyId, usage.StatusCode, usage.Refused) = (keyId, status, refused);
            (usage.PromptTokens, usage.CompletionTokens) = refused || status >= 400 ? (0, 0) : (usage.PromptTokens, usage.CompletionTokens);
            return usage;
        }

        await store.StoreAsync(
            [Event(200), Event(200), Event(502), Event(503), Event(499), Event(429, refused: true), Event(429, refused: true), Event(503, refused: true)],
            CancellationToken.None);

        await using var db = await TestDatabases.OpenAsync(url);
        var rollup = await db.UsageDaily.AsNoTracking().SingleAsync();
        Assert.Equal((2L, 64L, 2L, 2L, 1L), (rollup.Requests, rollup.PromptTokens + rollup.CompletionTokens, rollup.Errors, rollup.RefusedRateLimited, rollup.RefusedUnavailable));
        Assert.Equal(3, await db.UsageEvents.CountAsync(e => e.Refused));
    }

    [Fact]
    public void RedisEntry_RefusedEvent_RoundTripsTheMarkAndAnEntryWithoutItIsForwarded()
    {
        var refused = SampleUsage.Event();
        refused.Refused = true;
        var served = SampleUsage.Event();

        Assert.True(RedisUsageEntry.Parse(RedisUsageEntry.ToFields(refused))!.Refused);
        Assert.False(RedisUsageEntry.Parse(RedisUsageEntry.ToFields(served))!.Refused);
        Assert.DoesNotContain(RedisUsageEntry.ToFields(served), f => f.Name == "refused");
    }
}
