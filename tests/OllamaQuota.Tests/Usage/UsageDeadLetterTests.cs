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
    public async Task ProxyRequest_ModelNameOf1000Characters_RefusedAtTheEdgeAndTheOthersStored()
    {
        await using var proxy = await ProxyHost.StartAsync(kind);
        var (_, key) = await proxy.CreateKeyAsync();
        using var client = proxy.ClientFor(key);

        var statuses = await Task.WhenAll(new[] { "llama3", LongModel, "qwen" }.Select(model => ChatAsync(client, model)));
        var later = await ChatAsync(client, "llama3");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.OK, HttpStatusCode.OK], statuses.Append(later));
        var stored = await proxy.WaitForUsageAsync(3);
        Assert.Equal(["llama3", "llama3", "qwen"], stored.Select(e => e.Model).Order());
        await using var db = await proxy.OpenDbAsync();
        Assert.False(await db.UsageDeadLetters.AnyAsync());
    }

    [Fact]
    public async Task Store_EventWithAModelOf1000Characters_NeverBlocksTheOtherEvents()
    {
        // The edge refuses such a name (above); an event that got past it anyway (an older proxy, a bug) must still
        // not stall the writer.
        await using var admin = await AdminHost.StartAsync(kind);
        await using var services = TestDatabases.Services(admin.DatabaseUrl);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new UsageTelemetry(metrics.GetRequiredService<IMeterFactory>());
        var store = NewStore(services, telemetry);
        var batch = new[] { SampleUsage.Event(), SampleUsage.Event(LongModel), SampleUsage.Event() };

        var result = await store.StoreAsync(batch, CancellationToken.None);
        var later = await store.StoreAsync([SampleUsage.Event()], CancellationToken.None);

        await using var db = await admin.OpenDbAsync();
        Assert.Equal(new StoreResult(1, 0), later);
        if (kind == DatabaseKind.PostgreSql)
        {
            // PostgreSQL holds model names to their 200 characters: that event is refused, and set aside.
            Assert.Equal(new StoreResult(2, 1), result);
            var deadLetter = await db.UsageDeadLetters.SingleAsync();
            Assert.Equal(batch[1].Id, deadLetter.EventId);
            Assert.Contains(LongModel, deadLetter.Payload, StringComparison.Ordinal);
            Assert.Contains("22001", deadLetter.Error, StringComparison.Ordinal);
        }
        else
        {
            // SQLite does not enforce column lengths: nothing to refuse, so the long name is stored like the rest.
            Assert.Equal(new StoreResult(3, 0), result);
            Assert.False(await db.UsageDeadLetters.AnyAsync());
        }

        Assert.Equal(await db.UsageEvents.CountAsync(), await db.UsageDaily.SumAsync(d => d.Requests));
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
        var store = NewStore(services, telemetry);

        // Refused by both databases: a model name is required (NOT NULL), whatever its length.
        var refused = SampleUsage.Event(model: null!);
        var batch = new[] { SampleUsage.Event(), SampleUsage.Event(), refused, SampleUsage.Event(), SampleUsage.Event() };

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

    private static UsageStore NewStore(IServiceProvider services, UsageTelemetry telemetry) => new(
        services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
        new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System), telemetry,
        NullLogger<UsageStore>.Instance);

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


    private static async Task<HttpStatusCode> ChatAsync(HttpClient client, string model)
    {
        using var response = await client.PostAsync("/api/chat", new StringContent(
            $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }
}
