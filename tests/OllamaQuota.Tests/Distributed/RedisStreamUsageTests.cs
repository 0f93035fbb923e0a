using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Distributed;

/// <summary>The stream on one Redis server, which this class's tests own and may stop.</summary>
public sealed class RedisStreamUsageTests : RedisStreamUsageContract
{
    private RedisServerFixture _server = null!;

    [Fact]
    public async Task Sink_RedisUnreachable_HandsTheEventToTheChannelAtOnceAfterTheFirstFailure()
    {
        await using var connection = await _server.ConnectAsync(options =>
        {
            options.AsyncTimeout = options.SyncTimeout = 500;
            options.AbortOnConnectFail = false;
        });
        var channel = new ChannelUsageSink();
        var sink = new RedisStreamUsageSink(
            connection, new RedisOutage(connection, NullLogger<RedisOutage>.Instance), channel,
            Options.Create(new RedisStreamUsageOptions { StreamKey = Stream }), NullLogger<RedisStreamUsageSink>.Instance);
        await _server.StopAsync();

        await sink.RecordAsync(SampleUsage.Event(), CancellationToken.None);
        var started = TimeProvider.System.GetTimestamp();
        await sink.RecordAsync(SampleUsage.Event(), CancellationToken.None);

        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromMilliseconds(200));
        Assert.True(channel.Reader.TryRead(out _) && channel.Reader.TryRead(out _), "both events should wait in the channel");
    }

    protected override async Task<ConnectionMultiplexer> ConnectAsync()
    {
        _server = await RedisServerFixture.StartAsync();
        return await _server.ConnectAsync();
    }

    protected override async Task DisconnectAsync() => await _server.DisposeAsync();
}

/// <summary>The stream on a Redis Cluster of three masters.</summary>
public sealed class RedisClusterStreamUsageTests(RedisClusterFixture cluster) : RedisStreamUsageContract, IClassFixture<RedisClusterFixture>
{
    protected override Task<ConnectionMultiplexer> ConnectAsync() => cluster.ConnectAsync();
}

/// <summary>The usage stream on its own: the sink appends, the writer stores, acknowledges, and claims from dead writers.</summary>
public abstract class RedisStreamUsageContract : IAsyncLifetime
{
    private const string Group = "usage-writers";

    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private ConnectionMultiplexer _connection = null!;
    private ServiceProvider _services = null!;
    private UsageStore _store = null!;
    private string _databaseUrl = null!;

    /// <summary>A stream of this test's own, so tests sharing a server do not meet.</summary>
    protected string Stream { get; } = $"oq:usage:{Guid.NewGuid():N}";

    protected IDatabase Database => _connection.GetDatabase();

    public async Task InitializeAsync()
    {
        _connection = await ConnectAsync();
        _databaseUrl = await TestDatabases.CreateInitializedAsync(DatabaseKind.PostgreSql);
        _services = TestDatabases.Services(_databaseUrl);
        _store = new UsageStore(
            _services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
            new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System),
            Telemetry(), NullLogger<UsageStore>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _metrics.DisposeAsync();
        await _connection.DisposeAsync();
        await DisconnectAsync();
    }

    [Fact]
    public async Task Writer_EntriesLeftPendingByADeadWriter_ClaimsThemAndStoresEachOnce()
    {
        var events = Enumerable.Range(0, 3).Select(_ => SampleUsage.Event()).ToList();
        await Database.StreamCreateConsumerGroupAsync(Stream, Group, StreamPosition.Beginning, createStream: true);
        foreach (var usage in events)
        {
            await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(usage));
        }

        // The dead writer read all three and stored the first, then died before acknowledging anything.
        await Database.StreamReadGroupAsync(Stream, Group, "dead", StreamPosition.NewMessages, 10);
        await _store.WriteBatchAsync([events[0]], CancellationToken.None);

        await using (await StartWriterAsync())
        {
            await WaitForStoredAsync(3);
        }

        await using var db = await TestDatabases.OpenAsync(_databaseUrl);
        Assert.Equal(events.Select(e => e.Id).Order(), (await db.UsageEvents.Select(e => e.Id).ToListAsync()).Order());
        Assert.Equal(3, await db.UsageDaily.SumAsync(d => d.Requests));
        Assert.Equal(0, await Database.StreamLengthAsync(Stream));
        Assert.Equal(0, (await Database.StreamPendingAsync(Stream, Group)).PendingMessageCount);
    }

    [Fact]
    public async Task Writer_DeadWritersEntriesClaimed_RemovesItsConsumerFromTheGroup()
    {
        await Database.StreamCreateConsumerGroupAsync(Stream, Group, StreamPosition.Beginning, createStream: true);
        await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(SampleUsage.Event()));
        await Database.StreamReadGroupAsync(Stream, Group, "dead", StreamPosition.NewMessages, 10);

        await using var writer = await StartWriterAsync();
        await WaitForStoredAsync(1);

        // What remains is the live writer alone.
        await WaitUntilAsync(async () => (await Database.StreamConsumerInfoAsync(Stream, Group)).All(c => c.Name != "dead"));
        Assert.Equal([writer.Consumer], (await Database.StreamConsumerInfoAsync(Stream, Group)).Select(c => (string)c.Name!));
    }

    [Fact]
    public async Task Writer_MalformedEntry_IsDroppedAndTheRestStored()
    {
        await using var writer = await StartWriterAsync();
        await Database.StreamAddAsync(Stream, "id", "not-a-guid");
        await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(SampleUsage.Event()));

        await WaitForStoredAsync(1);

        await WaitUntilAsync(async () => await Database.StreamLengthAsync(Stream) == 0);
    }

    [Fact]
    public async Task Writer_EventTheDatabaseRejectsForGood_DeadLetteredAndEveryOtherEventStored()
    {
        var before = Enumerable.Range(0, 3).Select(_ => SampleUsage.Event()).ToList();
        var rejected = SampleUsage.Event(model: new string('m', 1000));
        var after = Enumerable.Range(0, 2).Select(_ => SampleUsage.Event()).ToList();
        await using var writer = await StartWriterAsync();

        // One batch holding the bad event among good ones, then a later batch.
        foreach (var usage in before.Append(rejected))
        {
            await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(usage));
        }

        await WaitForStoredAsync(3);
        foreach (var usage in after)
        {
            await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(usage));
        }

        await WaitForStoredAsync(5);
        await WaitUntilAsync(async () => await Database.StreamLengthAsync(Stream) == 0);
        await using var db = await TestDatabases.OpenAsync(_databaseUrl);
        Assert.Equal(before.Concat(after).Select(e => e.Id).Order(), (await db.UsageEvents.Select(e => e.Id).ToListAsync()).Order());
        var deadLetter = await db.UsageDeadLetters.SingleAsync();
        Assert.Equal(rejected.Id, deadLetter.EventId);
        Assert.Contains(rejected.Model, deadLetter.Payload, StringComparison.Ordinal);
        Assert.Contains("22001", deadLetter.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await Database.StreamPendingAsync(Stream, Group)).PendingMessageCount);
    }

    [Fact]
    public async Task Writer_EventsWithOllamasDurations_StoresThemAndSumsTheirGpuTime()
    {
        var timed = SampleUsage.Event();
        (timed.TotalDurationNs, timed.LoadDurationNs, timed.PromptEvalDurationNs, timed.EvalDurationNs) = (900_000_000, 100_000_000, 30_000_000, 700_000_000);
        var untimed = SampleUsage.Event();
        var garbled = SampleUsage.Event();
        garbled.KeyId = untimed.KeyId = timed.KeyId;
        await using var writer = await StartWriterAsync();

        await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(timed));
        await Database.StreamAddAsync(Stream, RedisUsageEntry.ToFields(untimed));
        await Database.StreamAddAsync(Stream, [.. RedisUsageEntry.ToFields(garbled), new("total_ns", "-5"), new("eval_ns", "1.5")]);
        await WaitForStoredAsync(3);

        await using var db = await TestDatabases.OpenAsync(_databaseUrl);
        var stored = await db.UsageEvents.AsNoTracking().ToDictionaryAsync(e => e.Id);
        Assert.Equal(
            (900_000_000L, 100_000_000L, 30_000_000L, 700_000_000L),
            (stored[timed.Id].TotalDurationNs, stored[timed.Id].LoadDurationNs, stored[timed.Id].PromptEvalDurationNs, stored[timed.Id].EvalDurationNs));
        Assert.All([stored[untimed.Id], stored[garbled.Id]], e => Assert.Equal(
            ((long?)null, (long?)null, (long?)null, (long?)null), (e.TotalDurationNs, e.LoadDurationNs, e.PromptEvalDurationNs, e.EvalDurationNs)));
        var rollup = await db.UsageDaily.AsNoTracking().SingleAsync();
        Assert.Equal((3L, 1L, 730_000_000L, 900_000_000L), (rollup.Requests, rollup.TimedRequests, rollup.GpuDurationNs, rollup.TotalDurationNs));
    }

    protected abstract Task<ConnectionMultiplexer> ConnectAsync();

    protected virtual Task DisconnectAsync() => Task.CompletedTask;


    private UsageTelemetry Telemetry() => new(_metrics.GetRequiredService<IMeterFactory>());

    private async Task<WriterHandle> StartWriterAsync()
    {
        var options = new RedisStreamUsageOptions
        {
            StreamKey = Stream, ClaimIdle = TimeSpan.FromMilliseconds(200), IdlePoll = TimeSpan.FromMilliseconds(50),
            RetryDelay = TimeSpan.FromMilliseconds(100),
        };
        var writer = new RedisStreamUsageWriter(
            _connection, _store, Telemetry(), Options.Create(options), TimeProvider.System, NullLogger<RedisStreamUsageWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        return new WriterHandle(writer, options.Consumer);
    }

    private async Task WaitForStoredAsync(int count) => await WaitUntilAsync(async () =>
    {
        await using var db = await TestDatabases.OpenAsync(_databaseUrl);
        return await db.UsageEvents.CountAsync() >= count;
    });

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }

    private sealed class WriterHandle(RedisStreamUsageWriter writer, string consumer) : IAsyncDisposable
    {
        public string Consumer => consumer;

        public async ValueTask DisposeAsync()
        {
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
    }
}
