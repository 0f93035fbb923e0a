using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Redis;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>The usage stream on its own: the sink appends, the writer stores, acknowledges, and claims from dead writers.</summary>
public sealed class RedisStreamUsageTests : IAsyncLifetime
{
    private const string Stream = "oq:usage";
    private const string Group = "usage-writers";

    private RedisServerFixture _redis = null!;
    private RedisConnection _connection = null!;
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private ServiceProvider _services = null!;
    private UsageStore _store = null!;
    private string _databaseUrl = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServerFixture.StartAsync();
        _connection = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(_redis.ConnectionString));
        _databaseUrl = await TestDatabases.CreateInitializedAsync(DatabaseKind.PostgreSql);
        _services = TestDatabases.Services(_databaseUrl);
        _store = new UsageStore(
            _services.GetRequiredService<IDbContextFactory<QuotaDbContext>>(),
            new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _metrics.DisposeAsync();
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Writer_EntriesLeftPendingByADeadWriter_ClaimsThemAndStoresEachOnce()
    {
        var events = Enumerable.Range(0, 3).Select(_ => Usage()).ToList();
        await _connection.ExecuteAsync("XGROUP", "CREATE", Stream, Group, "0", "MKSTREAM");
        foreach (var usage in events)
        {
            await _connection.ExecuteAsync("XADD", [Stream, "*", .. RedisUsageEntry.ToFields(usage)]);
        }

        // The dead writer read all three and stored the first, then died before acknowledging anything.
        await _connection.ExecuteAsync("XREADGROUP", "GROUP", Group, "dead", "COUNT", 10, "STREAMS", Stream, ">");
        await _store.WriteBatchAsync([events[0]], CancellationToken.None);

        await using (await StartWriterAsync())
        {
            await WaitForStoredAsync(3);
        }

        await using var db = await TestDatabases.OpenAsync(_databaseUrl);
        Assert.Equal(events.Select(e => e.Id).Order(), (await db.UsageEvents.Select(e => e.Id).ToListAsync()).Order());
        Assert.Equal(3, await db.UsageDaily.SumAsync(d => d.Requests));
        Assert.Equal(0, (await _connection.ExecuteAsync("XLEN", Stream)).AsInt64());
        Assert.Equal(0, (await _connection.ExecuteAsync("XPENDING", Stream, Group))[0].AsInt64());
    }

    [Fact]
    public async Task Writer_MalformedEntry_IsDroppedAndTheRestStored()
    {
        await using var writer = await StartWriterAsync();
        await _connection.ExecuteAsync("XADD", Stream, "*", "id", "not-a-guid");
        await _connection.ExecuteAsync("XADD", [Stream, "*", .. RedisUsageEntry.ToFields(Usage())]);

        await WaitForStoredAsync(1);

        await WaitUntilAsync(async () => (await _connection.ExecuteAsync("XLEN", Stream)).AsInt64() == 0);
    }

    [Fact]
    public async Task Sink_RedisUnreachable_HandsTheEventToTheChannelAtOnceAfterTheFirstFailure()
    {
        var options = RedisConnectionOptions.Parse(_redis.ConnectionString);
        options.CommandTimeout = TimeSpan.FromMilliseconds(500);
        await using var connection = await RedisConnection.ConnectAsync(options);
        var channel = new ChannelUsageSink();
        var sink = new RedisStreamUsageSink(
            connection, new RedisOutage(connection, NullLogger<RedisOutage>.Instance), channel,
            Options.Create(new RedisStreamUsageOptions()), NullLogger<RedisStreamUsageSink>.Instance);
        await _redis.StopAsync();

        await sink.RecordAsync(Usage(), CancellationToken.None);
        var started = TimeProvider.System.GetTimestamp();
        await sink.RecordAsync(Usage(), CancellationToken.None);

        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromMilliseconds(200));
        Assert.True(channel.Reader.TryRead(out _) && channel.Reader.TryRead(out _), "both events should wait in the channel");
    }

    private static UsageEvent Usage() => new()
    {
        Id = Guid.CreateVersion7(),
        KeyId = Guid.NewGuid(),
        Model = "llama3",
        Endpoint = "/api/chat",
        PromptTokens = 12,
        CompletionTokens = 20,
        StatusCode = 200,
        DurationMs = 5,
        CreatedAt = DateTime.UtcNow,
    };

    private async Task<WriterHandle> StartWriterAsync()
    {
        var writer = new RedisStreamUsageWriter(
            RedisConnectionOptions.Parse(_redis.ConnectionString), _store, new UsageTelemetry(_metrics.GetRequiredService<IMeterFactory>()),
            Options.Create(new RedisStreamUsageOptions { ClaimIdle = TimeSpan.FromMilliseconds(200), Block = TimeSpan.FromMilliseconds(100) }),
            TimeProvider.System, NullLoggerFactory.Instance, NullLogger<RedisStreamUsageWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        return new WriterHandle(writer);
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

    private sealed class WriterHandle(RedisStreamUsageWriter writer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
    }
}
