using System.Diagnostics;
using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

/// <summary>Each test owns its server, because these tests pause, kill and restart it.</summary>
public sealed class RedisConnectionResilienceTests
{
    [Fact]
    public async Task ExecuteAsync_ServerPaused_TimesOutAndKeepsRepliesInOrder()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromMilliseconds(500);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var admin = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await redis.ExecuteAsync("MSET", "first", "value-1", "second", "value-2");

        await admin.ExecuteAsync("CLIENT", "PAUSE", 2000);
        var stopwatch = Stopwatch.StartNew();
        var timedOut = redis.ExecuteAsync("GET", "first");
        var patient = redis.ExecuteAsync("GET", ["second"], TimeSpan.FromSeconds(10), CancellationToken.None);

        var error = await Assert.ThrowsAsync<RedisTimeoutException>(() => timedOut);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1900));
        Assert.Contains("GET", error.Message, StringComparison.Ordinal);

        // The late reply to the timed-out GET must be dropped, not handed to the next caller in line.
        Assert.Equal("value-2", (await patient).AsString());
        Assert.Equal("value-1", (await redis.ExecuteAsync("GET", "first")).AsString());
        Assert.True(redis.IsConnected);
    }

    [Fact]
    public async Task ExecuteAsync_ServerRestarted_ReconnectsAndRestoresDatabaseSelection()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString + "/3");
        await using var redis = await RedisConnection.ConnectAsync(options);
        Assert.Equal("OK", (await redis.ExecuteAsync("SET", "before", "1")).AsString());

        await server.RestartAsync();
        var reply = await EventuallyAsync(() => redis.ExecuteAsync("SET", "after", "2"));
        var clientInfo = (await redis.ExecuteAsync("CLIENT", "INFO")).AsString();

        Assert.Equal("OK", reply.AsString());
        Assert.Contains("db=3", clientInfo, StringComparison.Ordinal);
        Assert.Contains("name=ollamaquota", clientInfo, StringComparison.Ordinal);
        Assert.True(redis.IsConnected);
    }

    [Fact]
    public async Task ExecuteAsync_ServerSilentBeyondUnresponsiveTimeout_ReplacesConnection()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromSeconds(10);
        options.UnresponsiveTimeout = TimeSpan.FromMilliseconds(1000);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var admin = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await admin.ExecuteAsync("CLIENT", "PAUSE", 3000);

        var stopwatch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.ExecuteAsync("PING"));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(2.8));
        Assert.Equal("PONG", (await EventuallyAsync(() => redis.ExecuteAsync("PING"))).AsString());
    }

    [Fact]
    public async Task ExecuteAsync_ConnectionLostWithCommandsInFlight_FailsThemAllAtOnce()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromSeconds(30);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var admin = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await admin.ExecuteAsync("CLIENT", "PAUSE", 10_000);
        var inFlight = Enumerable.Range(0, 20).Select(i => redis.ExecuteAsync("INCR", $"k{i}")).ToArray();
        await Task.Delay(100);

        var stopwatch = Stopwatch.StartNew();
        await server.StopAsync();

        foreach (var command in inFlight)
        {
            await Assert.ThrowsAsync<RedisConnectionException>(() => command);
        }

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ExecuteAsync_ServerDown_FailsWithinCommandTimeout()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await server.StopAsync();
        await EventuallyAsync(() => Task.FromResult(redis.IsConnected ? throw new InvalidOperationException("still connected") : true));

        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.ExecuteAsync("PING"));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Contains(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsWhenAbortOnConnectFail()
    {
        await using var server = await RedisServerFixture.StartAsync();
        await server.StopAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(options));

        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_NothingListeningWithoutAbort_ConnectsWhenServerAppears()
    {
        await using var server = await RedisServerFixture.StartAsync();
        await server.StopAsync();
        var options = RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},abortConnect=false");
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(300);

        await using var redis = await RedisConnection.ConnectAsync(options);
        Assert.False(redis.IsConnected);
        await server.StartAsync();

        var reply = await EventuallyAsync(() => redis.ExecuteAsync("PING"));
        Assert.Equal("PONG", reply.AsString());
    }

    [Fact]
    public async Task DisposeAsync_CommandsAfterwards_ThrowObjectDisposed()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));

        await redis.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => { _ = redis.ExecuteAsync("PING"); });
    }

    internal static async Task<T> EventuallyAsync<T>(Func<Task<T>> action)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
