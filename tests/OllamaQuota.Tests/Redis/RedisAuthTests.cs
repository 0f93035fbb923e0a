using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisAuthTests : IAsyncLifetime
{
    private const string Password = "s3cr:et@/pa ss";
    private RedisServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await RedisServerFixture.StartAsync(Password);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ConnectAsync_RightPassword_Works()
    {
        await using var redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(_server.ConnectionString));

        Assert.Equal("PONG", (await redis.ExecuteAsync("PING")).AsString());
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_FailsClearlyWithoutLeakingIt()
    {
        var options = RedisConnectionOptions.Parse($"redis://:wrong-password@127.0.0.1:{_server.Port}");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(options));

        Assert.Contains("rejected AUTH", error.Message, StringComparison.Ordinal);
        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_NoPassword_ThrowsNoAuth()
    {
        await using var redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{_server.Port}"));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => redis.ExecuteAsync("GET", "x"));

        Assert.Equal("NOAUTH", error.ErrorCode);
    }

    [Fact]
    public async Task ConnectAsync_AclUserAndPassword_AuthenticatesAsThatUser()
    {
        await using (var admin = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(_server.ConnectionString)))
        {
            await admin.ExecuteAsync("ACL", "SETUSER", "quota", "on", ">user-pass", "~*", "&*", "+@all");
        }

        await using var redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse($"redis://quota:user-pass@127.0.0.1:{_server.Port}"));

        Assert.Equal("quota", (await redis.ExecuteAsync("ACL", "WHOAMI")).AsString());
    }
}
