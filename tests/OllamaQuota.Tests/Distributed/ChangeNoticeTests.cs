using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>Admin changes reach every proxy instance through Redis pub/sub, long before their revision poll.</summary>
public sealed class ChangeNoticeTests
{
    // Only the Redis notice can explain a change seen sooner than this: the poll waits a minute, the key cache 30 s.
    private static readonly Dictionary<string, string?> SlowPoll = new() { ["CHANGE_POLL_MS"] = "60000" };

    [Fact]
    public async Task AdminDeactivation_WithRedis_SeenByBothInstancesWithinOneSecond()
    {
        await using var redis = await RedisServerFixture.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["REDIS_URL"] = redis.ConnectionString });
        await using var cluster = await ProxyCluster.StartAsync(settings: SlowPoll, databaseUrl: admin.DatabaseUrl, sharedRedis: redis);
        var created = await (await admin.Client.PostAsJsonAsync("/api/api-keys", new { name = "deactivate-me" })).Content.ReadFromJsonAsync<JsonElement>();
        var clients = cluster.Proxies.Select(p => p.ClientFor(created.GetProperty("key").GetString()!)).ToList();
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        }

        var started = Stopwatch.StartNew();
        (await admin.Client.PutAsync($"/api/api-keys/{created.GetProperty("id").GetGuid()}/deactivate", null)).EnsureSuccessStatusCode();

        foreach (var client in clients)
        {
            while ((await ChatAsync(client)).StatusCode != HttpStatusCode.Unauthorized)
            {
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), "an instance still served the deactivated key after 1 s");
                await Task.Delay(20);
            }
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"the deactivation took {started.Elapsed} to reach both instances");
        clients.ForEach(c => c.Dispose());
    }

    [Theory]
    [InlineData("rotate", "rotated")]
    [InlineData("delete", "deleted")]
    public async Task AdminRotationWithoutGraceOrDeletion_WithRedis_CachedKeyRefusedByBothInstancesWithinOneSecond(string change, string message)
    {
        await using var redis = await RedisServerFixture.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["REDIS_URL"] = redis.ConnectionString });
        await using var cluster = await ProxyCluster.StartAsync(settings: SlowPoll, databaseUrl: admin.DatabaseUrl, sharedRedis: redis);
        var created = await (await admin.Client.PostAsJsonAsync("/api/api-keys", new { name = "change-me" })).Content.ReadFromJsonAsync<JsonElement>();
        var clients = cluster.Proxies.Select(p => p.ClientFor(created.GetProperty("key").GetString()!)).ToList();
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        }

        var id = created.GetProperty("id").GetGuid();
        var started = Stopwatch.StartNew();
        (await (change == "rotate"
            ? admin.Client.PostAsync($"/api/api-keys/{id}/rotate?grace_hours=0", null)
            : admin.Client.DeleteAsync($"/api/api-keys/{id}"))).EnsureSuccessStatusCode();

        foreach (var client in clients)
        {
            HttpResponseMessage response;
            while ((response = await ChatAsync(client)).StatusCode != HttpStatusCode.Unauthorized)
            {
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"an instance still served the {change}d key after 1 s");
                await Task.Delay(20);
            }

            Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task SettingsChange_WithRedis_NewDefaultModelUsedByBothInstancesAtOnce()
    {
        await using var redis = await RedisServerFixture.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["REDIS_URL"] = redis.ConnectionString });
        await using var cluster = await ProxyCluster.StartAsync(settings: SlowPoll, databaseUrl: admin.DatabaseUrl, sharedRedis: redis);
        var (_, key) = await cluster.CreateKeyAsync(QuotaLimits.Unlimited);

        (await admin.Client.PutAsJsonAsync("/api/settings", new { default_model = "qwen2.5:0.5b" })).EnsureSuccessStatusCode();

        var started = Stopwatch.StartNew();
        foreach (var proxy in cluster.Proxies)
        {
            using var client = proxy.ClientFor(key);
            while (true)
            {
                cluster.Ollama.Requests.Clear();
                await client.PostAsync("/api/chat", new StringContent("""{"messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
                if (cluster.Ollama.Requests.Single().Body!["model"]!.GetValue<string>() == "qwen2.5:0.5b")
                {
                    break;
                }

                Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), "an instance still used the old default model after 1 s");
                await Task.Delay(20);
            }
        }
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
}
