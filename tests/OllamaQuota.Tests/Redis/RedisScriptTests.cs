using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisScriptTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly RedisScript Increment = new(
        "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) return {v, KEYS[2], ARGV[2]}",
        "increment");

    private RedisConnection _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public void Sha1_KnownScript_MatchesRedisDefinition()
    {
        // Value of `redis-cli SCRIPT LOAD "return 1"`.
        Assert.Equal("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new RedisScript("return 1").Sha1);
    }

    [Fact]
    public async Task EvaluateAsync_KeysAndArgs_PassesThemInOrder()
    {
        var key = $"{{k:{Guid.NewGuid():N}}}:counter";

        var reply = await _redis.EvaluateAsync(Increment, [key, "second-key"], [5, "tag"]);

        Assert.Equal(5, reply[0].AsInt64());
        Assert.Equal("second-key", reply[1].AsString());
        Assert.Equal("tag", reply[2].AsString());
    }

    [Fact]
    public async Task EvaluateAsync_AfterScriptFlush_ReloadsTransparently()
    {
        var key = $"noscript:{Guid.NewGuid():N}";
        await _redis.EvaluateAsync(Increment, [key, "x"], [1, "y"]);

        await _redis.ExecuteAsync("SCRIPT", "FLUSH");
        var exists = await _redis.ExecuteAsync("SCRIPT", "EXISTS", Increment.Sha1);
        Assert.Equal(0, exists[0].AsInt64());

        var reply = await _redis.EvaluateAsync(Increment, [key, "x"], [1, "y"]);

        Assert.Equal(2, reply[0].AsInt64());
        exists = await _redis.ExecuteAsync("SCRIPT", "EXISTS", Increment.Sha1);
        Assert.Equal(1, exists[0].AsInt64());
    }

    [Fact]
    public async Task EvaluateAsync_ManyConcurrentCallersAfterFlush_AllSucceed()
    {
        var script = new RedisScript($"return redis.call('INCR', KEYS[1]) -- {Guid.NewGuid():N}");
        var key = $"concurrent:{Guid.NewGuid():N}";

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _redis.EvaluateAsync(script, [key], [])));

        Assert.Equal(50, (await _redis.ExecuteAsync("GET", key)).AsInt64());
    }

    [Fact]
    public async Task EvaluateAsync_ScriptRaisesError_ThrowsServerMessage()
    {
        var failing = new RedisScript("return redis.error_reply('QUOTA exceeded for ' .. KEYS[1])");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => _redis.EvaluateAsync(failing, ["key-1"], []));

        Assert.Equal("QUOTA exceeded for key-1", error.Message);
        Assert.Equal("QUOTA", error.ErrorCode);
    }
}
