using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Distributed;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class KeyLimitsApiSqliteTests() : KeyLimitsApiTests(DatabaseKind.Sqlite);

public sealed class KeyLimitsApiPostgresTests() : KeyLimitsApiTests(DatabaseKind.PostgreSql);

/// <summary>The minute, hour and in-flight limits through the Admin API: stored, shown, validated, and their use shown.</summary>
public abstract class KeyLimitsApiTests(DatabaseKind kind) : IAsyncLifetime
{
    // 2026-11-22 12:30:30 in Berlin (UTC+1).
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 11, 30, 30, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Now);
    private AdminHost _admin = null!;

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(kind, services: services =>
    {
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSingleton(new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), _clock));
    });

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task CreateKey_NewLimits_StoredAndShownBesideTheSeedLimits()
    {
        var created = await CreateAsync("""
            {"name": "k", "daily_tokens": 1000, "requests_per_minute": 60, "tokens_per_minute": 5000, "requests_per_hour": 600,
             "tokens_per_hour": 50000, "max_concurrent_requests": 4}
            """);

        Assert.Equal(60, created.GetProperty("requests_per_minute").GetInt64());
        Assert.Equal(5000, created.GetProperty("tokens_per_minute").GetInt64());
        Assert.Equal(600, created.GetProperty("requests_per_hour").GetInt64());
        Assert.Equal(50000, created.GetProperty("tokens_per_hour").GetInt64());
        Assert.Equal(4, created.GetProperty("max_concurrent_requests").GetInt64());
        Assert.Equal(1000, created.GetProperty("daily_tokens").GetInt64());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("monthly_tokens").ValueKind);
        Assert.Equal(0, created.GetProperty("in_flight").GetInt64());
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal((60L, 5000L, 600L, 50000L, 4L), (stored.RequestsPerMinute, stored.TokensPerMinute, stored.RequestsPerHour, stored.TokensPerHour, stored.MaxConcurrentRequests));
    }

    [Theory]
    [InlineData("requests_per_minute", "-1")]
    [InlineData("tokens_per_minute", "\"100\"")]
    [InlineData("requests_per_hour", "1.5")]
    [InlineData("tokens_per_hour", "true")]
    [InlineData("max_concurrent_requests", "-3")]
    public async Task CreateKey_BadNewLimit_Returns400NamingTheFieldAndCreatesNothing(string field, string value)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/api-keys", $$"""{"name": "k", "{{field}}": {{value}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }

    [Fact]
    public async Task UpdateQuota_NewLimits_ChangesOnlyTheNamedOnes()
    {
        var id = (await CreateAsync("""{"name": "k", "requests_per_minute": 10, "max_concurrent_requests": 2, "daily_requests": 100}""")).GetProperty("id").GetGuid();

        var response = await SendAsync(HttpMethod.Patch, $"/api/api-keys/{id}/quota", """{"requests_per_minute": null, "tokens_per_hour": 900}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal((null, 900L, 2L, 100L), (stored.RequestsPerMinute, stored.TokensPerHour, stored.MaxConcurrentRequests, stored.DailyRequests));
        Assert.Equal(1, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task UpdateQuota_OneBadLimitAmongGoodOnes_Returns400NamingItAndChangesNothing()
    {
        var id = (await CreateAsync("""{"name": "k", "requests_per_minute": 10}""")).GetProperty("id").GetGuid();

        var response = await SendAsync(HttpMethod.Patch, $"/api/api-keys/{id}/quota", """{"requests_per_minute": 20, "max_concurrent_requests": -1}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["max_concurrent_requests"], errors.EnumerateObject().Select(e => e.Name));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(10, (await db.ApiKeys.SingleAsync()).RequestsPerMinute);
        Assert.Equal(0, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task ListKeys_RecordedUsage_ShowsThisMinuteAndThisHour()
    {
        var id = (await CreateAsync("""{"name": "k", "requests_per_minute": 10}""")).GetProperty("id").GetGuid();
        await using (var db = await _admin.OpenDbAsync())
        {
            db.UsageEvents.AddRange(
                Event(id, Now.AddSeconds(-10), 200, 5, 7),
                Event(id, Now.AddMinutes(-20), 200, 100, 0),
                Event(id, Now.AddSeconds(-5), 502, 0, 0),
                Event(id, Now.AddHours(-2), 200, 1000, 0));
            await db.SaveChangesAsync();
        }

        var key = (await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys"))[0];

        var usage = key.GetProperty("usage");
        Assert.Equal((1L, 12L), (usage.GetProperty("minute").GetProperty("requests").GetInt64(), usage.GetProperty("minute").GetProperty("tokens").GetInt64()));
        Assert.Equal((2L, 112L), (usage.GetProperty("hour").GetProperty("requests").GetInt64(), usage.GetProperty("hour").GetProperty("tokens").GetInt64()));
    }

    private static UsageEvent Event(Guid keyId, DateTimeOffset at, int status, int prompt, int completion) => new()
    {
        Id = Guid.NewGuid(),
        KeyId = keyId,
        Model = "llama3",
        Endpoint = "/api/chat",
        PromptTokens = prompt,
        CompletionTokens = completion,
        StatusCode = status,
        CreatedAt = at.UtcDateTime,
    };

    private async Task<JsonElement> CreateAsync(string body)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string body) =>
        _admin.Client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
}

/// <summary>Requests in flight as the Admin shows them: read from the proxy process (embedded) or from Redis (distributed).</summary>
public sealed class InFlightApiTests
{
    private const string Chat = """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""";

    [Fact]
    public async Task ListKeys_Embedded_ShowsTheProxysRequestsInFlightUntilTheyEnd()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.Sqlite, existingDatabaseUrl: proxy.DatabaseUrl);
        var (id, key) = await proxy.CreateKeyAsync(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 5));

        using var client = proxy.ClientFor(key);
        await AssertInFlightWhileHeldAsync(admin, proxy.Ollama, id, client, client);
    }

    [Fact]
    public async Task ListKeys_Distributed_ShowsRequestsInFlightOnEveryInstance()
    {
        await using var redis = await RedisServerFixture.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["REDIS_URL"] = redis.ConnectionString });
        await using var cluster = await ProxyCluster.StartAsync(databaseUrl: admin.DatabaseUrl, sharedRedis: redis);
        var (id, key) = await cluster.CreateKeyAsync(QuotaLimits.Unlimited);

        using var first = cluster.Proxies[0].ClientFor(key);
        using var second = cluster.Proxies[1].ClientFor(key);
        await AssertInFlightWhileHeldAsync(admin, cluster.Ollama, id, first, second);
    }

    private static async Task AssertInFlightWhileHeldAsync(AdminHost admin, FakeOllama ollama, Guid id, HttpClient first, HttpClient second)
    {
        var release = new TaskCompletionSource();
        ollama.ResponseStart = release.Task;
        var held = new List<Task<HttpResponseMessage>>();
        try
        {
            held.Add(Post(first));
            held.Add(Post(second));
            await WaitUntilAsync(async () => await InFlightAsync(admin, id) == 2);
        }
        finally
        {
            release.SetResult();
        }

        Assert.All(await Task.WhenAll(held), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await WaitUntilAsync(async () => await InFlightAsync(admin, id) == 0);
    }

    private static Task<HttpResponseMessage> Post(HttpClient client) =>
        client.PostAsync("/api/chat", new StringContent(Chat, Encoding.UTF8, "application/json"));

    private static async Task<long> InFlightAsync(AdminHost admin, Guid id)
    {
        var keys = await admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys");
        return keys.EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id).GetProperty("in_flight").GetInt64();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(100);
        }
    }
}
