using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Redis;

/// <summary>
/// Our configuration of the library (REDIS_URL or Aspire's connection string through Aspire.StackExchange.Redis)
/// against real servers: the connection a host registers authenticates, selects its database, speaks TLS and
/// comes back after a restart.
/// </summary>
public sealed class RedisConfigurationTests
{
    [Fact]
    public async Task AddRedis_PasswordWithReservedCharacters_Authenticates()
    {
        const string password = "s3cr:et@/pa ss,x=y";
        await using var server = await RedisServerFixture.StartAsync(password);

        using var host = await StartHostAsync(new() { [RedisConfiguration.Variable] = server.ConnectionString });

        Assert.Equal("PONG", (string?)await Redis(host).GetDatabase().ExecuteAsync("PING"));
    }

    [Fact]
    public async Task AddRedis_AclUserAndPassword_AuthenticatesAsThatUser()
    {
        await using var server = await RedisServerFixture.StartAsync("admin-pass");
        await using (var admin = await server.ConnectAsync())
        {
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "quota", "on", ">user-pass", "~*", "&*", "+@all");
        }

        using var host = await StartHostAsync(new() { [RedisConfiguration.Variable] = $"redis://quota:user-pass@127.0.0.1:{server.Port}" });

        Assert.Equal("quota", (string?)await Redis(host).GetDatabase().ExecuteAsync("ACL", "WHOAMI"));
    }

    [Fact]
    public async Task AddRedis_WrongPassword_FailsWithoutEchoingIt()
    {
        await using var server = await RedisServerFixture.StartAsync("right-pass");

        using var host = await StartHostAsync(new() { [RedisConfiguration.Variable] = $"redis://:wrong-pass@127.0.0.1:{server.Port}" });

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => Redis(host).GetDatabase().PingAsync());
        Assert.DoesNotContain("wrong-pass", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedis_DatabaseInTheUrl_SelectedAndNamedOllamaQuotaAndBackAfterARestart()
    {
        await using var server = await RedisServerFixture.StartAsync();
        using var host = await StartHostAsync(new() { [RedisConfiguration.Variable] = server.ConnectionString + "/3" });
        var database = Redis(host).GetDatabase();
        await database.StringSetAsync("before", "1");

        await server.RestartAsync();
        await EventuallyAsync(() => database.StringSetAsync("after", "2"));

        var client = (string?)await database.ExecuteAsync("CLIENT", "INFO");
        Assert.Contains("db=3", client, StringComparison.Ordinal);
        Assert.Contains("name=ollamaquota", client, StringComparison.Ordinal);
        Assert.Equal("2", (string?)await database.StringGetAsync("after"));
    }

    [Fact]
    public async Task AddRedis_Rediss_SpeaksTlsToAServerWithAGeneratedCertificate()
    {
        await using var server = await RedisServerFixture.StartAsync(password: "tls-pass", useTls: true);
        var expected = server.Certificate!;

        using var host = await StartHostAsync(
            new() { [RedisConfiguration.Variable] = server.ConnectionString },
            services => services.Configure<ConfigurationOptions>(options =>
                options.CertificateValidation += (_, certificate, _, _) => certificate?.GetCertHashString() == expected.Thumbprint));
        var payload = new byte[256 * 1024];
        Random.Shared.NextBytes(payload);
        var database = Redis(host).GetDatabase();
        await database.StringSetAsync("tls-key", payload);

        var echoed = (byte[])(await database.StringGetAsync("tls-key"))!;

        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task AddRedis_AspireConnectionStringAndRedisUrl_AspireWins()
    {
        await using var aspire = await RedisServerFixture.StartAsync();
        await using var other = await RedisServerFixture.StartAsync();

        using var host = await StartHostAsync(new()
        {
            ["ConnectionStrings:redis"] = $"127.0.0.1:{aspire.Port}",
            [RedisConfiguration.Variable] = other.ConnectionString,
        });
        await Redis(host).GetDatabase().StringSetAsync("where", "aspire");

        await using var check = await aspire.ConnectAsync();
        Assert.Equal("aspire", (string?)await check.GetDatabase().StringGetAsync("where"));
    }

    [Fact]
    public async Task AddRedis_ServerStopped_HealthCheckNamedRedisIsUnhealthy()
    {
        await using var server = await RedisServerFixture.StartAsync();
        using var host = await StartHostAsync(new() { [RedisConfiguration.Variable] = server.ConnectionString });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries[RedisConfiguration.HealthCheckName].Status);

        await server.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Entries[RedisConfiguration.HealthCheckName].Status);
    }

    [Fact]
    public void AddRedis_MalformedUrl_StopsTheStartNamingTheVariableWithoutThePassword()
    {
        var builder = Builder(new() { [RedisConfiguration.Variable] = "redis://:hunter2@localhost:notaport" });

        var error = Assert.Throws<FormatException>(() => builder.AddRedis());

        Assert.StartsWith("REDIS_URL ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRedis_NothingConfigured_RegistersNothing()
    {
        var builder = Builder([]);

        Assert.False(builder.AddRedis());
        Assert.DoesNotContain(builder.Services, s => s.ServiceType == typeof(IConnectionMultiplexer));
    }

    private static IConnectionMultiplexer Redis(IHost host) => host.Services.GetRequiredService<IConnectionMultiplexer>();

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    private static async Task<IHost> StartHostAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var builder = Builder(settings);
        Assert.True(builder.AddRedis());
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> action)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
    }
}
