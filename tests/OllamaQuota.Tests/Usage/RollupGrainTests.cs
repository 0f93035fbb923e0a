using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Usage;

public sealed class RollupGrainSqliteTests() : RollupGrainTests(DatabaseKind.Sqlite);

public sealed class RollupGrainPostgresTests() : RollupGrainTests(DatabaseKind.PostgreSql);

/// <summary>
/// The store adds each batch to every roll-up grain in the same transaction: per key, day and model; per month and
/// key; per day and model. Days and months are Berlin's: 2026-02-28 23:30 UTC is 1 March there.
/// </summary>
public abstract class RollupGrainTests(DatabaseKind kind)
{
    private static readonly Guid KeyA = Guid.Parse("0a000000-0000-4000-8000-000000000001");
    private static readonly Guid KeyB = Guid.Parse("0b000000-0000-4000-8000-000000000002");

    [Fact]
    public async Task Store_BatchAcrossAMonthEndThenRedeliveredThenAnother_EveryGrainHoldsEachEventOnce()
    {
        var url = await TestDatabases.CreateInitializedAsync(kind);
        await using var services = TestDatabases.Services(url);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new UsageTelemetry(metrics.GetRequiredService<IMeterFactory>());
        var store = new UsageStore(
            services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
            new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System), telemetry,
            NullLogger<UsageStore>.Instance);
        UsageEvent[] batch =
        [
            Event(KeyA, "llama3", new DateTime(2026, 2, 28, 22, 30, 0, DateTimeKind.Utc)),
            Event(KeyA, "llama3", new DateTime(2026, 2, 28, 23, 30, 0, DateTimeKind.Utc)),
            Event(KeyA, "qwen", new DateTime(2026, 3, 1, 11, 0, 0, DateTimeKind.Utc)),
            Event(KeyB, "qwen", new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc), status: 429),
        ];

        await store.StoreAsync(batch, CancellationToken.None);
        await store.StoreAsync(batch, CancellationToken.None);
        await store.StoreAsync([Event(KeyA, "llama3", new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc))], CancellationToken.None);

        await using var db = await TestDatabases.OpenAsync(url);
        var modelDays = await db.UsageModelDaily.AsNoTracking().ToListAsync();
        Assert.Equal(
            ["2026-02-28 llama3 1 32 429:0", "2026-03-01 llama3 2 64 429:0", "2026-03-01 qwen 1 32 429:1"],
            modelDays.Select(d => $"{d.Day:yyyy-MM-dd} {d.Model} {Sums(d)}").Order(StringComparer.Ordinal));
        var keyMonths = await db.UsageKeyMonthly.AsNoTracking().ToListAsync();
        Assert.Equal(
            [$"2026-02-01 {KeyA} 1 32 429:0", $"2026-03-01 {KeyA} 3 96 429:0", $"2026-03-01 {KeyB} 0 0 429:1"],
            keyMonths.Select(m => $"{m.Month:yyyy-MM-dd} {m.KeyId} {Sums(m)}").Order(StringComparer.Ordinal));
        var daily = await db.UsageDaily.AsNoTracking().ToListAsync();
        Assert.Equal(4, daily.Count);
        Assert.Equal(daily.Sum(d => d.PromptTokens + d.CompletionTokens), modelDays.Sum(d => d.PromptTokens + d.CompletionTokens));
        Assert.Equal(daily.Sum(d => d.Requests), keyMonths.Sum(m => m.Requests));
    }

    private static string Sums(IUsageMeasures row) => $"{row.Requests} {row.PromptTokens + row.CompletionTokens} 429:{row.RefusedRateLimited}";

    private static UsageEvent Event(Guid keyId, string model, DateTime at, int status = 200)
    {
        var usage = SampleUsage.Event(model);
        (usage.KeyId, usage.CreatedAt, usage.StatusCode, usage.Refused) = (keyId, at, status, status == 429);
        (usage.PromptTokens, usage.CompletionTokens) = status == 429 ? (0, 0) : (usage.PromptTokens, usage.CompletionTokens);
        return usage;
    }
}
