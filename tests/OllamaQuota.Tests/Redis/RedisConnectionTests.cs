using System.Collections.Concurrent;
using System.Diagnostics;
using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisConnectionTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private RedisConnection _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_SetThenGet_ReturnsValue()
    {
        var key = $"basic:{Guid.NewGuid():N}";

        var set = await _redis.ExecuteAsync("SET", key, "välue");
        var get = await _redis.ExecuteAsync("GET", key);
        var missing = await _redis.ExecuteAsync("GET", key + ":missing");

        Assert.Equal("OK", set.AsString());
        Assert.Equal("välue", get.AsString());
        Assert.True(missing.IsNull);
        Assert.True(_redis.IsConnected);
    }

    [Fact]
    public async Task ExecuteAsync_HundredConcurrentCallers_EveryReplyReachesItsCaller()
    {
        const int callers = 100;
        const int rounds = 100;
        var prefix = Guid.NewGuid().ToString("N");

        async Task CallerAsync(int caller)
        {
            var counter = $"pipe:{prefix}:{caller}:n";
            var text = $"pipe:{prefix}:{caller}:s";
            for (var round = 1; round <= rounds; round++)
            {
                var expected = $"{caller}/{round}";
                var incr = _redis.ExecuteAsync("INCR", counter);
                var set = _redis.ExecuteAsync("SET", text, expected);
                var get = _redis.ExecuteAsync("GET", text);
                Assert.Equal(round, (await incr).AsInt64());
                Assert.Equal("OK", (await set).AsString());
                Assert.Equal(expected, (await get).AsString());
            }
        }

        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(() => CallerAsync(caller))));

        var total = await _redis.ExecuteAsync("MGET", [.. Enumerable.Range(0, callers).Select(c => (RedisArgument)$"pipe:{prefix}:{c}:n")], CancellationToken.None);
        Assert.All(total.AsArray(), value => Assert.Equal(rounds, value.AsInt64()));
    }

    [Fact]
    public async Task ExecuteAsync_FiveMegabyteValue_RoundTrips()
    {
        var key = $"large:{Guid.NewGuid():N}";
        var payload = new byte[5 * 1024 * 1024];
        Random.Shared.NextBytes(payload);

        await _redis.ExecuteAsync("SET", key, payload);
        var echoed = await _redis.ExecuteAsync("GET", key);
        var small = await _redis.ExecuteAsync("ECHO", "after");

        Assert.Equal(payload.Length, echoed.Length);
        Assert.True(payload.AsSpan().SequenceEqual(echoed.AsBytes().Span));
        Assert.Equal("after", small.AsString());
    }

    [Fact]
    public async Task ExecuteAsync_ErrorReply_ThrowsWithServerMessageAndConnectionKeepsWorking()
    {
        var key = $"error:{Guid.NewGuid():N}";
        await _redis.ExecuteAsync("SET", key, "not a number");

        var notInteger = await Assert.ThrowsAsync<RedisServerException>(() => _redis.ExecuteAsync("INCR", key));
        var unknown = await Assert.ThrowsAsync<RedisServerException>(() => _redis.ExecuteAsync("NOSUCHCOMMAND", "x"));
        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => _redis.ExecuteAsync("LPUSH", key, "x"));

        Assert.Equal("ERR value is not an integer or out of range", notInteger.Message);
        Assert.StartsWith("ERR unknown command 'NOSUCHCOMMAND'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("WRONGTYPE", wrongType.ErrorCode);
        Assert.Equal("not a number", (await _redis.ExecuteAsync("GET", key)).AsString());
    }

    [Fact]
    public async Task ExecuteAsync_StreamCommands_ReturnNestedReplies()
    {
        var stream = $"{{usage}}:{Guid.NewGuid():N}";

        await _redis.ExecuteAsync("XGROUP", "CREATE", stream, "writers", "$", "MKSTREAM");
        var id = (await _redis.ExecuteAsync("XADD", stream, "*", "key", "k1", "tokens", 42)).AsString();
        var read = await _redis.ExecuteAsync("XREADGROUP", "GROUP", "writers", "w1", "COUNT", 10, "STREAMS", stream, ">");
        var claimed = await _redis.ExecuteAsync("XAUTOCLAIM", stream, "writers", "w2", 0, "0-0", "COUNT", 10);
        var acked = await _redis.ExecuteAsync("XACK", stream, "writers", id!);

        // [[stream, [[id, [field, value, …]]]]]
        var entry = read[0][1][0];
        Assert.Equal(stream, read[0][0].AsString());
        Assert.Equal(id, entry[0].AsString());
        Assert.Equal(new[] { "key", "k1", "tokens", "42" }, entry[1].AsArray().Select(v => v.AsString()).ToArray());

        // [next-start, [[id, fields]], [deleted ids]] (Redis 7)
        Assert.Equal(id, claimed[1][0][0].AsString());
        Assert.Equal(1, acked.AsInt64());
    }

    [Fact]
    public async Task ExecuteAsync_CancelledToken_CancelsWithoutBreakingTheConnection()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _redis.ExecuteAsync("PING", [], cancelled.Token));

        Assert.Equal("PONG", (await _redis.ExecuteAsync("PING")).AsString());
    }

    [Fact]
    public async Task PublishAsync_NoSubscribers_ReturnsZero()
    {
        Assert.Equal(0, await _redis.PublishAsync($"nobody:{Guid.NewGuid():N}", "hello"));
    }

    [Fact]
    public async Task ExecuteAsync_ListenerActive_EmitsSpanPerCommandWithoutChangingCurrentActivity()
    {
        var key = $"traced:{Guid.NewGuid():N}";
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RedisTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var parentSource = new ActivitySource("test.parent");
        using var parentListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "test.parent",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(parentListener);
        using var parent = parentSource.StartActivity("request");

        await _redis.ExecuteAsync("SET", key, "1");

        Assert.Same(parent, Activity.Current);
        var span = Assert.Single(spans, s => s.ParentSpanId == parent!.SpanId);
        Assert.Equal("SET", span.DisplayName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("redis", span.GetTagItem("db.system"));
        Assert.Equal("SET", span.GetTagItem("db.operation"));
        Assert.Equal(server.Port, span.GetTagItem("server.port"));
    }
}
