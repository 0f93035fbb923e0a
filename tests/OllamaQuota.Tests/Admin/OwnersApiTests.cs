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

public sealed class OwnersApiSqliteTests() : OwnersApiTests(DatabaseKind.Sqlite);

public sealed class OwnersApiPostgresTests() : OwnersApiTests(DatabaseKind.PostgreSql);

/// <summary>
/// Owners through the Admin API: created, changed and validated like keys; keys assigned and moved (each move a new
/// membership version of both owners, nothing else reset); deleted only when empty or with their keys detached; their
/// use the use of the keys they hold; and the seed's users and quotas routes over the same data.
/// </summary>
public abstract class OwnersApiTests(DatabaseKind kind) : IAsyncLifetime
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
    public async Task CreateOwner_EveryLimit_StoredAndShown()
    {
        var created = await CreateOwnerAsync("""
            {"name": " Team A ", "contact": "a@example.com", "daily_tokens": 1000, "monthly_requests": 50, "requests_per_minute": 6,
             "tokens_per_hour": 900, "max_concurrent_requests": 3}
            """);

        Assert.Equal(("Team A", "a@example.com"), (created.GetProperty("name").GetString(), created.GetProperty("contact").GetString()));
        Assert.Equal((1000, 50, 6, 900, 3), (created.GetProperty("daily_tokens").GetInt64(), created.GetProperty("monthly_requests").GetInt64(),
            created.GetProperty("requests_per_minute").GetInt64(), created.GetProperty("tokens_per_hour").GetInt64(), created.GetProperty("max_concurrent_requests").GetInt64()));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("monthly_tokens").ValueKind);
        Assert.Empty(created.GetProperty("keys").EnumerateArray());
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.Owners.SingleAsync();
        Assert.Equal((1000L, 50L, 6L, 900L, 3L, 0L), (stored.DailyTokens, stored.MonthlyRequests, stored.RequestsPerMinute, stored.TokensPerHour, stored.MaxConcurrentRequests, stored.KeysVersion));
    }

    [Theory]
    [InlineData("""{"contact": "x"}""", "name")]
    [InlineData("""{"name": " "}""", "name")]
    [InlineData("""{"name": "t", "daily_tokens": -1}""", "daily_tokens")]
    [InlineData("""{"name": "t", "max_concurrent_requests": 1.5}""", "max_concurrent_requests")]
    [InlineData("""{"name": "t", "contact": 5}""", "contact")]
    [InlineData("""{"name": "t", "dailytokens": 5}""", "dailytokens")]
    public async Task CreateOwner_BadField_Returns400NamingItAndCreatesNothing(string body, string field)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/owners", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], await ErrorFieldsAsync(response));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, await db.Owners.CountAsync());
    }

    [Fact]
    public async Task UpdateOwner_SomeFields_ChangesOnlyThoseAndTellsTheProxies()
    {
        var id = await CreateOwnerIdAsync("""{"name": "t", "daily_requests": 10, "requests_per_hour": 5}""");

        var response = await SendAsync(HttpMethod.Patch, $"/api/owners/{id}", """{"name": "u", "daily_requests": null, "tokens_per_minute": 70}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.Owners.SingleAsync();
        Assert.Equal(("u", null, 70L, 5L), (stored.Name, stored.DailyRequests, stored.TokensPerMinute, stored.RequestsPerHour));
        Assert.Equal(1, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task UpdateOwner_OneBadValue_Returns400AndChangesNothing()
    {
        var id = await CreateOwnerIdAsync("""{"name": "t", "daily_requests": 10}""");

        var response = await SendAsync(HttpMethod.Patch, $"/api/owners/{id}", """{"daily_requests": 20, "monthly_tokens": "lots"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["monthly_tokens"], await ErrorFieldsAsync(response));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(10, (await db.Owners.SingleAsync()).DailyRequests);
    }

    [Fact]
    public async Task CreateKey_WithOwner_ShownOnTheKeyAndTheOwnerWithoutANewVersion()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team"}""");

        var key = await CreateKeyAsync($$"""{"name": "laptop", "owner_id": "{{owner}}"}""");

        Assert.Equal((owner, "team"), (key.GetProperty("owner_id").GetGuid(), key.GetProperty("owner_name").GetString()));
        var shown = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/owners/{owner}");
        Assert.Equal(["laptop"], shown.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, (await db.Owners.SingleAsync()).KeysVersion);
    }

    [Fact]
    public async Task ListOwners_OwnerWithManyKeys_NamesTheFirstFiveAndCountsAll()
    {
        var busy = await CreateOwnerIdAsync("""{"name": "busy"}""");
        var small = await CreateOwnerIdAsync("""{"name": "small"}""");
        for (var i = 0; i < 7; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await CreateKeyAsync($$"""{"name": "busy-{{i}}", "owner_id": "{{busy}}"}""");
        }

        await CreateKeyAsync($$"""{"name": "only", "owner_id": "{{small}}"}""");

        var owners = (await _admin.Client.GetFromJsonAsync<JsonElement>("/api/owners")).EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal(["busy-0", "busy-1", "busy-2", "busy-3", "busy-4"], owners["busy"].GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        Assert.Equal((7, 1), (owners["busy"].GetProperty("key_count").GetInt32(), owners["small"].GetProperty("key_count").GetInt32()));
        Assert.Equal(["only"], owners["small"].GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        var one = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/owners/{busy}");
        Assert.Equal((7, 7), (one.GetProperty("keys").GetArrayLength(), one.GetProperty("key_count").GetInt32()));
    }

    [Fact]
    public async Task CreateKey_UnknownOwner_Returns400NamingOwnerIdAndCreatesNothing()
    {
        var response = await SendAsync(HttpMethod.Post, "/api/api-keys", $$"""{"name": "k", "owner_id": "{{Guid.NewGuid()}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["owner_id"], await ErrorFieldsAsync(response));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }

    [Fact]
    public async Task SetKeyOwner_MoveBetweenOwners_BothGetANewVersionAndTheKeyKeepsItsLimits()
    {
        var (first, second) = (await CreateOwnerIdAsync("""{"name": "a"}"""), await CreateOwnerIdAsync("""{"name": "b"}"""));
        var key = (await CreateKeyAsync($$"""{"name": "k", "daily_requests": 7, "owner_id": "{{first}}"}""")).GetProperty("id").GetGuid();

        var moved = await SendAsync(HttpMethod.Put, $"/api/api-keys/{key}/owner", $$"""{"owner_id": "{{second}}"}""");
        var detached = await SendAsync(HttpMethod.Put, $"/api/api-keys/{key}/owner", """{"owner_id": null}""");

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("b", (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("owner_name").GetString());
        Assert.Equal(JsonValueKind.Null, (await detached.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("owner_id").ValueKind);
        await using var db = await _admin.OpenDbAsync();
        var versions = await db.Owners.OrderBy(o => o.Name).Select(o => o.KeysVersion).ToListAsync();
        Assert.Equal([1L, 2L], versions);
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal((null, 7L, 2L), (stored.OwnerId, stored.DailyRequests, stored.OwnerChanges));
    }

    [Theory]
    [InlineData("""{"owner_id": "not-a-uuid"}""", "owner_id")]
    [InlineData("""{"owner_id": 5}""", "owner_id")]
    [InlineData("""{}""", "owner_id")]
    [InlineData("""{"owner": null}""", "owner")]
    public async Task SetKeyOwner_BadBody_Returns400NamingTheFieldAndChangesNothing(string body, string field)
    {
        var owner = await CreateOwnerIdAsync("""{"name": "a"}""");
        var key = (await CreateKeyAsync($$"""{"name": "k", "owner_id": "{{owner}}"}""")).GetProperty("id").GetGuid();

        var response = await SendAsync(HttpMethod.Put, $"/api/api-keys/{key}/owner", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await ErrorFieldsAsync(response));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(owner, (await db.ApiKeys.SingleAsync()).OwnerId);
    }

    [Fact]
    public async Task SetKeyOwner_UnknownOwnerOrKey_400Or404AndNothingChanged()
    {
        var key = (await CreateKeyAsync("""{"name": "k"}""")).GetProperty("id").GetGuid();

        var unknownOwner = await SendAsync(HttpMethod.Put, $"/api/api-keys/{key}/owner", $$"""{"owner_id": "{{Guid.NewGuid()}}"}""");
        var unknownKey = await SendAsync(HttpMethod.Put, $"/api/api-keys/{Guid.NewGuid()}/owner", """{"owner_id": null}""");

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.NotFound), (unknownOwner.StatusCode, unknownKey.StatusCode));
        await using var db = await _admin.OpenDbAsync();
        Assert.Null((await db.ApiKeys.SingleAsync()).OwnerId);
    }

    [Fact]
    public async Task DeleteOwner_WithKeys_Returns409AndChangesNothing()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team"}""");
        await CreateKeyAsync($$"""{"name": "k", "owner_id": "{{owner}}"}""");

        var response = await _admin.Client.DeleteAsync($"/api/owners/{owner}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("detach_keys=true", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(1, await db.Owners.CountAsync());
        Assert.Equal(owner, (await db.ApiKeys.SingleAsync()).OwnerId);
    }

    [Fact]
    public async Task DeleteOwner_DetachKeys_KeysLeftOnTheirOwnWithTheirLimits()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team", "daily_requests": 3}""");
        await CreateKeyAsync($$"""{"name": "k", "daily_requests": 9, "owner_id": "{{owner}}"}""");

        var response = await _admin.Client.DeleteAsync($"/api/owners/{owner}?detach_keys=true");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, await db.Owners.CountAsync());
        var key = await db.ApiKeys.SingleAsync();
        Assert.Equal((null, 9L, 1L), (key.OwnerId, key.DailyRequests, key.OwnerChanges));
    }

    [Fact]
    public async Task DeleteOwner_OnlyDeletedKeys_DeletesItAndKeepsTheKeysWithTheirUsage()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team"}""");
        var key = (await CreateKeyAsync($$"""{"name": "old", "owner_id": "{{owner}}"}""")).GetProperty("id").GetGuid();
        await using (var db = await _admin.OpenDbAsync())
        {
            db.UsageDaily.Add(Daily(key, new DateOnly(2026, 11, 21), 4, 40));
            await db.SaveChangesAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await _admin.Client.DeleteAsync($"/api/api-keys/{key}")).StatusCode);

        var response = await _admin.Client.DeleteAsync($"/api/owners/{owner}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await using (var db = await _admin.OpenDbAsync())
        {
            Assert.Equal(0, await db.Owners.CountAsync());
            var stored = await db.ApiKeys.SingleAsync();
            Assert.NotNull(stored.DeletedAt);
            Assert.Null(stored.OwnerId);
            Assert.Equal(40, (await db.UsageDaily.SingleAsync(d => d.KeyId == key)).PromptTokens);
        }
    }

    [Fact]
    public async Task DeleteOwner_ALiveAndADeletedKey_Returns409CountingOnlyTheLiveOne()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team"}""");
        await CreateKeyAsync($$"""{"name": "live", "owner_id": "{{owner}}"}""");
        var gone = (await CreateKeyAsync($$"""{"name": "gone", "owner_id": "{{owner}}"}""")).GetProperty("id").GetGuid();
        await _admin.Client.DeleteAsync($"/api/api-keys/{gone}");

        var response = await _admin.Client.DeleteAsync($"/api/owners/{owner}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("holds 1 key(s)", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(2, await db.ApiKeys.CountAsync(k => k.OwnerId == owner));
    }

    [Fact]
    public async Task DeleteOwner_NoKeysOrUnknown_204Or404()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team"}""");

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.Client.DeleteAsync($"/api/owners/{owner}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.Client.DeleteAsync($"/api/owners/{owner}")).StatusCode);
    }

    [Fact]
    public async Task ListOwners_RecordedUsage_SumsTheKeysItHoldsNow()
    {
        var owner = await CreateOwnerIdAsync("""{"name": "team"}""");
        var first = (await CreateKeyAsync($$"""{"name": "a", "owner_id": "{{owner}}"}""")).GetProperty("id").GetGuid();
        var second = (await CreateKeyAsync($$"""{"name": "b", "owner_id": "{{owner}}"}""")).GetProperty("id").GetGuid();
        var other = (await CreateKeyAsync("""{"name": "c"}""")).GetProperty("id").GetGuid();
        var today = new DateOnly(2026, 11, 22);
        await using (var db = await _admin.OpenDbAsync())
        {
            db.UsageDaily.AddRange(Daily(first, today, 2, 20), Daily(second, today, 3, 30), Daily(second, today.AddDays(-1), 1, 10), Daily(other, today, 50, 500));
            db.UsageEvents.AddRange(Event(first, Now.AddSeconds(-10), 5), Event(second, Now.AddMinutes(-20), 7), Event(other, Now.AddSeconds(-1), 100));
            await db.SaveChangesAsync();
        }

        var shown = (await _admin.Client.GetFromJsonAsync<JsonElement>("/api/owners")).EnumerateArray().Single();

        var usage = shown.GetProperty("usage");
        Assert.Equal((5L, 50L), Totals(usage.GetProperty("today")));
        Assert.Equal((6L, 60L), Totals(usage.GetProperty("month")));
        Assert.Equal((2L, 12L), Totals(usage.GetProperty("hour")));
        Assert.Equal((1L, 5L), Totals(usage.GetProperty("minute")));
        Assert.Equal(0, shown.GetProperty("in_flight").GetInt64());
    }

    [Fact]
    public async Task Users_SeedRoutes_CreateListAndSetTheQuotaWithNullUnlimited()
    {
        var created = await SendAsync(HttpMethod.Post, "/api/users", """{"name": "alice", "email": "alice@example.com", "daily_tokens": 1000}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = user.GetProperty("id").GetGuid();
        await CreateKeyAsync($$"""{"name": "k", "owner_id": "{{id}}"}""");

        var quota = await SendAsync(HttpMethod.Put, $"/api/quotas/{id}", """{"monthly_tokens": 50000, "daily_requests": null, "monthly_requests": 300}""");
        var listed = (await _admin.Client.GetFromJsonAsync<JsonElement>("/api/users")).EnumerateArray().Single();

        Assert.Equal(HttpStatusCode.OK, quota.StatusCode);
        var body = await quota.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("user_id").GetGuid());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("daily_tokens").ValueKind);
        Assert.Equal(("alice", "alice@example.com"), (listed.GetProperty("name").GetString(), listed.GetProperty("email").GetString()));
        Assert.Equal(1, listed.GetProperty("api_key_ids").GetArrayLength());
        await using var db = await _admin.OpenDbAsync();
        var owner = await db.Owners.SingleAsync();
        Assert.Equal((null, 50000L, null, 300L), (owner.DailyTokens, owner.MonthlyTokens, owner.DailyRequests, owner.MonthlyRequests));
    }

    [Fact]
    public async Task Users_BadQuotaOrUnknownUser_400NamingTheFieldOr404AndNothingChanged()
    {
        var id = (await (await SendAsync(HttpMethod.Post, "/api/users", """{"name": "bob", "daily_tokens": 5}""")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var bad = await SendAsync(HttpMethod.Put, $"/api/quotas/{id}", """{"daily_tokens": -5}""");
        var unknownField = await SendAsync(HttpMethod.Put, $"/api/quotas/{id}", """{"requests_per_minute": 5}""");
        var unknownUser = await SendAsync(HttpMethod.Put, $"/api/quotas/{Guid.NewGuid()}", """{"daily_tokens": 5}""");

        Assert.Equal(["daily_tokens"], await ErrorFieldsAsync(bad));
        Assert.Equal(["requests_per_minute"], await ErrorFieldsAsync(unknownField));
        Assert.Equal(HttpStatusCode.NotFound, unknownUser.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(5, (await db.Owners.SingleAsync()).DailyTokens);
    }

    private static (long Requests, long Tokens) Totals(JsonElement totals) =>
        (totals.GetProperty("requests").GetInt64(), totals.GetProperty("tokens").GetInt64());

    private static UsageDaily Daily(Guid keyId, DateOnly day, long requests, long tokens) =>
        new() { KeyId = keyId, Day = day, Model = "llama3", Requests = requests, PromptTokens = tokens };

    private static UsageEvent Event(Guid keyId, DateTimeOffset at, int prompt) => new()
    {
        Id = Guid.NewGuid(), KeyId = keyId, Model = "llama3", Endpoint = "/api/chat", PromptTokens = prompt, StatusCode = 200, CreatedAt = at.UtcDateTime,
    };

    private static async Task<List<string>> ErrorFieldsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name)];
    }

    private async Task<JsonElement> CreateOwnerAsync(string body)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/owners", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<Guid> CreateOwnerIdAsync(string body) => (await CreateOwnerAsync(body)).GetProperty("id").GetGuid();

    private async Task<JsonElement> CreateKeyAsync(string body)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string body) =>
        _admin.Client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
}

/// <summary>Requests in flight of an owned key and its owner in distributed mode, where the key's leases are under its owner's hash tag.</summary>
public sealed class OwnerInFlightApiTests
{
    [Fact]
    public async Task ListKeysAndOwners_Distributed_ShowTheOwnedKeysRequestsInFlight()
    {
        await using var redis = await RedisServerFixture.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["REDIS_URL"] = redis.ConnectionString });
        await using var cluster = await ProxyCluster.StartAsync(databaseUrl: admin.DatabaseUrl, sharedRedis: redis);
        var owner = await cluster.CreateOwnerAsync(QuotaLimits.Unlimited);
        var (id, key) = await cluster.CreateKeyAsync(QuotaLimits.Unlimited, owner);
        using var first = cluster.Proxies[0].ClientFor(key);
        using var second = cluster.Proxies[1].ClientFor(key);
        var release = new TaskCompletionSource();
        cluster.Ollama.ResponseStart = release.Task;
        var held = new List<Task<HttpResponseMessage>>();
        try
        {
            held.Add(Post(first));
            held.Add(Post(second));
            await WaitUntilAsync(async () => await InFlightAsync(admin, "/api/api-keys", id) == 2 && await InFlightAsync(admin, "/api/owners", owner) == 2);
        }
        finally
        {
            release.SetResult();
        }

        Assert.All(await Task.WhenAll(held), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await WaitUntilAsync(async () => await InFlightAsync(admin, "/api/api-keys", id) == 0);
    }

    private static Task<HttpResponseMessage> Post(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

    private static async Task<long> InFlightAsync(AdminHost admin, string list, Guid id)
    {
        var items = await admin.Client.GetFromJsonAsync<JsonElement>(list);
        return items.EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id).GetProperty("in_flight").GetInt64();
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
