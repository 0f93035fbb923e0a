using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>QUOTA_FAIL_MODE: what a proxy does while Redis is unreachable.</summary>
public sealed class FailModeTests
{
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task RedisDown_FailModeClosed_Answers503InTheCallersStyleAndForwardsNothing(string environment)
    {
        await using var cluster = await ProxyCluster.StartAsync(instances: 1, settings: new Dictionary<string, string?> { ["environment"] = environment });
        var (_, key) = await cluster.CreateKeyAsync(QuotaLimits.Unlimited);
        using var client = cluster.Proxies[0].ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await OllamaChatAsync(client)).StatusCode);
        await cluster.Redis.StopAsync();

        var started = Stopwatch.StartNew();
        var ollama = await OllamaChatAsync(client);
        var openAi = await client.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"the refusals took {started.Elapsed}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ollama.StatusCode);
        Assert.Contains("temporarily unavailable", (await ollama.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, openAi.StatusCode);
        var error = (await openAi.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        Assert.Contains("temporarily unavailable", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Single(cluster.Ollama.Requests);
    }

    [Fact]
    public async Task Health_RedisStopped_ReportsRedisUnhealthyWhileAliveStaysUp()
    {
        await using var cluster = await ProxyCluster.StartAsync(instances: 1);
        var proxy = cluster.Proxies[0].Anonymous;
        var healthy = await proxy.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("Healthy", healthy.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());

        await cluster.Redis.StopAsync();
        var health = await proxy.GetAsync("/health");
        var alive = await proxy.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var checks = (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task RedisDown_FailModeOpen_ServesCountingLocallyAndStoresUsage()
    {
        await using var cluster = await ProxyCluster.StartAsync(instances: 1, settings: new Dictionary<string, string?> { ["QUOTA_FAIL_MODE"] = "open" });
        var (_, key) = await cluster.CreateKeyAsync(new QuotaLimits(null, null, 3, null));
        using var client = cluster.Proxies[0].ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await OllamaChatAsync(client)).StatusCode);
        await cluster.WaitForUsageAsync(1);
        await cluster.Redis.StopAsync();

        Assert.Equal(HttpStatusCode.OK, (await OllamaChatAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OllamaChatAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await OllamaChatAsync(client)).StatusCode);

        // Without Redis the usage goes straight to the database.
        Assert.Equal(3, (await cluster.Proxies[0].WaitForUsageAsync(3)).Count);
        Assert.Equal(3, cluster.Ollama.Requests.Count);
    }

    [Fact]
    public void FailMode_Unknown_StopsTheStartNamingTheVariable()
    {
        var error = Assert.Throws<ArgumentException>(() => RedisLedgerOptions.ParseFailMode("sometimes"));

        Assert.Contains("QUOTA_FAIL_MODE", error.Message, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> OllamaChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
}
