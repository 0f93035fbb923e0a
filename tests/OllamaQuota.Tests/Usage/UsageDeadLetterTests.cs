using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Usage;

public sealed class UsageDeadLetterSqliteTests() : UsageDeadLetterTests(DatabaseKind.Sqlite);

public sealed class UsageDeadLetterPostgresTests() : UsageDeadLetterTests(DatabaseKind.PostgreSql);

/// <summary>
/// The embedded writer (channel → batches) with an event the database refuses for good: it is set aside as a dead
/// letter, visible to the admin and counted, and every other event, of its batch and later ones, is stored.
/// </summary>
public abstract class UsageDeadLetterTests(DatabaseKind kind)
{
    private static readonly string LongModel = new('m', 1000);

    [Fact]
    public async Task ProxyRequest_ModelNameOf1000Characters_NeverBlocksTheOtherEvents()
    {
        await using var proxy = await ProxyHost.StartAsync(kind);
        var (_, key) = await proxy.CreateKeyAsync();
        using var client = proxy.ClientFor(key);

        // One batch with the long name among ordinary requests, then a later batch.
        var first = await Task.WhenAll(new[] { "llama3", LongModel, "qwen" }.Select(model => ChatAsync(client, model)));
        await proxy.WaitForUsageAsync(2);
        var later = await ChatAsync(client, "llama3");

        Assert.All(first.Append(later), status => Assert.Equal(HttpStatusCode.OK, status));
        var stored = await proxy.WaitForUsageAsync(kind == DatabaseKind.PostgreSql ? 3 : 4);
        await using var db = await proxy.OpenDbAsync();
        if (kind == DatabaseKind.PostgreSql)
        {
            // PostgreSQL holds model names to their 200 characters: that event is refused, and set aside.
            await WaitUntilAsync(async () => await db.UsageDeadLetters.AnyAsync());
            Assert.Equal(["llama3", "llama3", "qwen"], stored.Select(e => e.Model).Order());
            var deadLetter = await db.UsageDeadLetters.SingleAsync();
            Assert.Contains(LongModel, deadLetter.Payload, StringComparison.Ordinal);
            Assert.Contains("22001", deadLetter.Error, StringComparison.Ordinal);
        }
        else
        {
            // SQLite does not enforce column lengths: nothing to refuse, so the long name is stored like the rest.
            Assert.Equal(["llama3", "llama3", LongModel, "qwen"], stored.Select(e => e.Model).Order());
            Assert.False(await db.UsageDeadLetters.AnyAsync());
        }

        Assert.Equal(stored.Count, await db.UsageDaily.SumAsync(d => d.Requests));
    }

    [Fact]
    public async Task Writer_EventTheDatabaseRefuses_DeadLetteredCountedAndShownToTheAdmin()
    {
        await using var admin = await AdminHost.StartAsync(kind);
        await using var services = TestDatabases.Services(admin.DatabaseUrl);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = metrics.GetRequiredService<IMeterFactory>();
        using var telemetry = new UsageTelemetry(meters);
        var counted = 0L;
        using var listener = CountDeadLetters(meters, value => Interlocked.Add(ref counted, value));
        var store = new UsageStore(
            services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
            new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System), telemetry,
            NullLogger<UsageStore>.Instance);

        // Refused by both databases: a model name is required (NOT NULL), whatever its length.
        var refused = Usage(model: null!);
        var batch = new[] { Usage(), Usage(), refused, Usage(), Usage() };

        var result = await store.StoreAsync(batch, CancellationToken.None);
        var again = await store.StoreAsync(batch, CancellationToken.None);

        Assert.Equal(new StoreResult(4, 1), result);
        Assert.Equal(new StoreResult(0, 1), again);
        Assert.Equal(1, counted);
        var shown = await admin.Client.GetFromJsonAsync<JsonElement>("/api/usage/dead-letters");
        Assert.Equal(refused.Id, Assert.Single(shown.EnumerateArray()).GetProperty("event_id").GetGuid());
        await using var db = await admin.OpenDbAsync();
        Assert.Equal(batch.Where(e => e != refused).Select(e => e.Id).Order(), (await db.UsageEvents.Select(e => e.Id).ToListAsync()).Order());
    }

    private static MeterListener CountDeadLetters(IMeterFactory meters, Action<long> add)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "oq.usage.dead_letters")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => add(value));
        listener.Start();
        return listener;
    }

    private static UsageEvent Usage(string model = "llama3") => new()
    {
        Id = Guid.CreateVersion7(),
        KeyId = Guid.NewGuid(),
        Model = model,
        Endpoint = "/api/chat",
        PromptTokens = 3,
        CompletionTokens = 4,
        StatusCode = 200,
        DurationMs = 5,
        CreatedAt = DateTime.UtcNow,
    };

    private static async Task<HttpStatusCode> ChatAsync(HttpClient client, string model)
    {
        using var response = await client.PostAsync("/api/chat", new StringContent(
            $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
