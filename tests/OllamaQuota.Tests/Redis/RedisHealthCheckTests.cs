using Microsoft.Extensions.Diagnostics.HealthChecks;
using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisHealthCheckTests
{
    [Fact]
    public async Task CheckHealthAsync_ServerUp_Healthy()
    {
        await using var server = await RedisServerFixture.StartAsync();
        await using var redis = await RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));

        var result = await new RedisHealthCheck(redis).CheckHealthAsync(Context());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.StartsWith("PING answered", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHealthAsync_ServerDown_ReportsFailureStatus()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await server.StopAsync();

        var result = await new RedisHealthCheck(redis).CheckHealthAsync(Context());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.IsType<RedisConnectionException>(result.Exception);
    }

    private static HealthCheckContext Context() => new()
    {
        Registration = new HealthCheckRegistration("redis", _ => null!, HealthStatus.Unhealthy, tags: null),
    };
}
