using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class AuditApiSqliteTests() : AuditApiTests(DatabaseKind.Sqlite);

public sealed class AuditApiPostgresTests() : AuditApiTests(DatabaseKind.PostgreSql);

/// <summary>What the audit log records of admin changes, and reading it back; the same tests on both providers.</summary>
public abstract class AuditApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private AdminHost _admin = null!;

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(kind);

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task EveryKeyChange_RecordsOneEventWithCallerAndOnlyTheChangedFields()
    {
        var created = await CreateAsync(new { name = "team-a", daily_tokens = 10 });
        var id = created.GetProperty("id").GetGuid();
        await SendAsync(HttpMethod.Patch, $"/api/api-keys/{id}/quota", """{"daily_tokens": 20, "monthly_tokens": null}""");
        await SendAsync(HttpMethod.Put, $"/api/api-keys/{id}/deactivate");
        await SendAsync(HttpMethod.Post, $"/api/api-keys/{id}/reactivate");
        await SendAsync(HttpMethod.Post, $"/api/api-keys/{id}/rotate", """{"grace_hours": 1}""");
        await SendAsync(HttpMethod.Delete, $"/api/api-keys/{id}");

        var events = (await ReadAsync("/api/audit")).GetProperty("items").EnumerateArray().Reverse().ToList();

        Assert.Equal(
            ["api_key.create", "api_key.update", "api_key.deactivate", "api_key.reactivate", "api_key.rotate", "api_key.delete"],
            events.Select(e => e.GetProperty("action").GetString()));
        Assert.All(events, e =>
        {
            Assert.Equal("admin", e.GetProperty("actor").GetString());
            Assert.Equal("127.0.0.1", e.GetProperty("caller_address").GetString());
            Assert.Equal("api_key", e.GetProperty("target_type").GetString());
            Assert.Equal(id.ToString("D"), e.GetProperty("target_id").GetString());
            Assert.Equal("team-a", e.GetProperty("target_name").GetString());
        });
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("before").ValueKind);
        Assert.Equal(10, events[0].GetProperty("after").GetProperty("daily_tokens").GetInt64());
        Assert.Equal("""{"daily_tokens":10}""", events[1].GetProperty("before").GetRawText());
        Assert.Equal("""{"daily_tokens":20}""", events[1].GetProperty("after").GetRawText());
        Assert.Equal("active", events[2].GetProperty("before").GetProperty("status").GetString());
        Assert.Equal("deactivated", events[2].GetProperty("after").GetProperty("status").GetString());
        Assert.Equal("active", events[3].GetProperty("after").GetProperty("status").GetString());
        Assert.True(events[4].GetProperty("after").TryGetProperty("key_prefix", out _));
        Assert.True(events[4].GetProperty("after").TryGetProperty("previous_key_expires_at", out _));
        Assert.Equal("deleted", events[5].GetProperty("after").GetProperty("status").GetString());
    }

    [Fact]
    public async Task EveryOwnerChange_RecordsOneEventOnTheOwnerWithOnlyTheChangedFields()
    {
        var created = await (await SendAsync(HttpMethod.Post, "/api/owners", """{"name": "team", "daily_tokens": 10}""")).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();
        await SendAsync(HttpMethod.Patch, $"/api/owners/{id}", """{"contact": "team@example.com", "daily_tokens": 20, "max_concurrent_requests": 2}""");
        await SendAsync(HttpMethod.Patch, $"/api/owners/{id}", """{"daily_tokens": 20}""");
        await SendAsync(HttpMethod.Put, $"/api/quotas/{id}", """{"monthly_tokens": 500}""");
        await SendAsync(HttpMethod.Delete, $"/api/owners/{id}");

        var events = (await ItemsAsync($"/api/audit?target_id={id}")).AsEnumerable().Reverse().ToList();

        Assert.Equal(["owner.create", "owner.update", "owner.update", "owner.delete"], events.Select(e => e.GetProperty("action").GetString()));
        Assert.All(events, e =>
        {
            Assert.Equal(("admin", "127.0.0.1", "owner", "team"),
                (e.GetProperty("actor").GetString(), e.GetProperty("caller_address").GetString(), e.GetProperty("target_type").GetString(), e.GetProperty("target_name").GetString()));
        });
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("before").ValueKind);
        Assert.Equal(("team", 10), (events[0].GetProperty("after").GetProperty("name").GetString(), events[0].GetProperty("after").GetProperty("daily_tokens").GetInt32()));
        Assert.Equal("""{"contact":null,"daily_tokens":10,"max_concurrent_requests":null}""", events[1].GetProperty("before").GetRawText());
        Assert.Equal("""{"contact":"team@example.com","daily_tokens":20,"max_concurrent_requests":2}""", events[1].GetProperty("after").GetRawText());
        Assert.Equal("""{"daily_tokens":20,"monthly_tokens":null}""", events[2].GetProperty("before").GetRawText());
        Assert.Equal("""{"daily_tokens":null,"monthly_tokens":500}""", events[2].GetProperty("after").GetRawText());
        Assert.Equal("team", events[3].GetProperty("before").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, events[3].GetProperty("after").GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task KeyMovedBetweenOwnersAndDetached_RecordsAMoveOnTheKeyEachTime()
    {
        var seedUser = await (await SendAsync(HttpMethod.Post, "/api/users", """{"name": "alice", "email": "a@example.com"}""")).Content.ReadFromJsonAsync<JsonElement>();
        var alice = seedUser.GetProperty("id").GetGuid();
        var team = (await (await SendAsync(HttpMethod.Post, "/api/owners", """{"name": "team"}""")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var key = (await CreateAsync(new { name = "laptop", owner_id = alice })).GetProperty("id").GetGuid();
        await SendAsync(HttpMethod.Put, $"/api/api-keys/{key}/owner", $$"""{"owner_id": "{{team}}"}""");
        await SendAsync(HttpMethod.Put, $"/api/api-keys/{key}/owner", $$"""{"owner_id": "{{team}}"}""");
        await SendAsync(HttpMethod.Delete, $"/api/owners/{team}?detach_keys=true");

        var onKey = (await ItemsAsync($"/api/audit?target_id={key}")).AsEnumerable().Reverse().ToList();
        var aliceCreated = await ItemsAsync($"/api/audit?target_id={alice}");

        Assert.Equal(["api_key.create", "api_key.move", "api_key.move"], onKey.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("alice", onKey[0].GetProperty("after").GetProperty("owner_name").GetString());
        Assert.Equal($$"""{"owner_id":"{{alice}}","owner_name":"alice"}""", onKey[1].GetProperty("before").GetRawText());
        Assert.Equal($$"""{"owner_id":"{{team}}","owner_name":"team"}""", onKey[1].GetProperty("after").GetRawText());
        Assert.Equal($$"""{"owner_id":null,"owner_name":null}""", onKey[2].GetProperty("after").GetRawText());
        Assert.Equal("owner.create", Assert.Single(aliceCreated).GetProperty("action").GetString());
        Assert.Equal("a@example.com", aliceCreated[0].GetProperty("after").GetProperty("contact").GetString());
    }

    [Fact]
    public async Task Audit_CreateAndRotate_NeverHoldsASecretOrAHash()
    {
        var created = await CreateAsync(new { name = "k" });
        var id = created.GetProperty("id").GetGuid();
        var rotated = await (await SendAsync(HttpMethod.Post, $"/api/api-keys/{id}/rotate")).Content.ReadFromJsonAsync<JsonElement>();

        var log = await _admin.Client.GetStringAsync("/api/audit");

        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        var rows = JsonSerializer.Serialize(await db.AuditEvents.ToListAsync());
        foreach (var secret in new[] { created.GetProperty("key").GetString()!, rotated.GetProperty("key").GetString()!, stored.KeyHash, stored.PreviousKeyHash! })
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, rows, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("hash", rows, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UpdateSettings_Change_RecordedWithoutTheUrlPassword()
    {
        await SendAsync(HttpMethod.Put, "/api/settings", """{"ollama_url": "http://ops:s3cret-pass@gpu-box:11434", "default_model": "qwen2.5:0.5b"}""");
        await SendAsync(HttpMethod.Put, "/api/settings", """{"default_model": "qwen2.5:0.5b"}""");

        var events = (await ReadAsync("/api/audit")).GetProperty("items");

        var only = Assert.Single(events.EnumerateArray());
        Assert.Equal(("settings.update", "settings"), (only.GetProperty("action").GetString(), only.GetProperty("target_type").GetString()));
        Assert.Equal("qwen2.5:0.5b", only.GetProperty("after").GetProperty("default_model").GetString());
        Assert.Equal("llama3", only.GetProperty("before").GetProperty("default_model").GetString());
        Assert.Contains("ops:***@gpu-box", only.GetProperty("after").GetProperty("ollama_url").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pass", only.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/api/api-keys", """{"name": ""}""")]
    [InlineData("POST", "/api/api-keys", """{"name": "k", "daily_tokens": -1}""")]
    [InlineData("PATCH", "/api/api-keys/{id}/quota", """{"daily_tokens": "many"}""")]
    [InlineData("POST", "/api/api-keys/{id}/rotate", """{"grace_hours": -2}""")]
    [InlineData("PUT", "/api/settings", """{"ollama_url": "ftp://nope"}""")]
    [InlineData("PUT", "/api/settings", """{"default_model": "qwen", "max_keep_alive": "forever"}""")]
    public async Task InvalidChange_Returns400AndRecordsNothing(string method, string path, string body)
    {
        var id = (await CreateAsync(new { name = "existing" })).GetProperty("id").GetGuid();

        var response = await _admin.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id.ToString(), StringComparison.Ordinal))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal("api_key.create", (await db.AuditEvents.SingleAsync()).Action);
    }

    [Fact]
    public async Task Unauthorized_Change_RecordsNothing()
    {
        var response = await _admin.Anonymous.PostAsJsonAsync("/api/api-keys", new { name = "k" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _admin.Anonymous.GetAsync("/api/audit")).StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, await db.AuditEvents.CountAsync());
    }

    [Fact]
    public async Task ListAuditEvents_ManyEvents_PagesWalkEveryEventNewestFirstOnce()
    {
        var start = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        await SeedAsync(Enumerable.Range(0, 25).Select(i => Event(start.AddMinutes(i / 2), i % 2 == 0 ? "api_key.update" : "api_key.rotate", $"key-{i % 3}")));

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await ReadAsync($"/api/audit?page_size=10{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        await using var db = await _admin.OpenDbAsync();
        var expected = await db.AuditEvents.OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id).Select(a => a.Id).ToListAsync();
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListAuditEvents_Filters_ReturnOnlyMatchingEvents()
    {
        var start = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        await SeedAsync(Enumerable.Range(0, 12).Select(i => Event(start.AddHours(i), i % 2 == 0 ? "api_key.update" : "api_key.rotate", $"key-{i % 3}")));

        var byAction = await ItemsAsync("/api/audit?action=api_key.rotate");
        var byTarget = await ItemsAsync("/api/audit?target_id=key-1");
        var byTime = await ItemsAsync("/api/audit?from=2026-03-01T14:00:00Z&to=2026-03-01T17:00:00Z");
        var combined = await ItemsAsync("/api/audit?action=api_key.update&target_id=key-0&from=2026-03-01T13:00:00Z");

        Assert.Equal(6, byAction.Count);
        Assert.All(byAction, e => Assert.Equal("api_key.rotate", e.GetProperty("action").GetString()));
        Assert.Equal(4, byTarget.Count);
        Assert.All(byTarget, e => Assert.Equal("key-1", e.GetProperty("target_id").GetString()));
        Assert.Equal([16, 15, 14], byTime.Select(e => e.GetProperty("occurred_at").GetDateTime().ToUniversalTime().Hour));
        Assert.Equal([18], combined.Select(e => e.GetProperty("occurred_at").GetDateTime().ToUniversalTime().Hour));
    }

    [Theory]
    [InlineData("page_size=0", "page_size")]
    [InlineData("page_size=201", "page_size")]
    [InlineData("page_size=ten", "page_size")]
    [InlineData("action=key.explode", "action")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-01", "to")]
    [InlineData("cursor=abc", "cursor")]
    public async Task ListAuditEvents_InvalidQuery_Returns400NamingTheParameter(string query, string parameter)
    {
        var response = await _admin.Client.GetAsync($"/api/audit?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(parameter, out _));
    }

    [Fact]
    public async Task CallerAddress_ForwardedHeaderWithoutTrustedProxies_Ignored()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/api-keys") { Content = JsonContent.Create(new { name = "k" }) };
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        (await _admin.Client.SendAsync(request)).EnsureSuccessStatusCode();

        await using var db = await _admin.OpenDbAsync();
        Assert.Equal("127.0.0.1", (await db.AuditEvents.SingleAsync()).CallerAddress);
    }

    [Fact]
    public async Task CallerAddress_ForwardedHeaderFromATrustedProxy_IsTheClient()
    {
        await using var behindProxy = await AdminHost.StartAsync(
            kind, new Dictionary<string, string?> { ["ADMIN_TRUSTED_PROXIES"] = "127.0.0.0/8, ::1" });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/api-keys") { Content = JsonContent.Create(new { name = "k" }) };
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        (await behindProxy.Client.SendAsync(request)).EnsureSuccessStatusCode();

        await using var db = await behindProxy.OpenDbAsync();
        Assert.Equal("203.0.113.7", (await db.AuditEvents.SingleAsync()).CallerAddress);
    }

    private static AuditEvent Event(DateTime at, string action, string targetId) => new()
    {
        OccurredAt = at,
        Actor = "admin",
        CallerAddress = "10.0.0.1",
        Action = action,
        TargetType = "api_key",
        TargetId = targetId,
        After = "{}",
    };

    private async Task SeedAsync(IEnumerable<AuditEvent> events)
    {
        await using var db = await _admin.OpenDbAsync();
        db.AuditEvents.AddRange(events);
        await db.SaveChangesAsync();
    }

    private async Task<JsonElement> CreateAsync(object body)
    {
        var response = await _admin.Client.PostAsJsonAsync("/api/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null)
    {
        var response = await _admin.Client.SendAsync(new HttpRequestMessage(method, path)
        {
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        });
        response.EnsureSuccessStatusCode();
        return response;
    }

    private async Task<JsonElement> ReadAsync(string path) => await _admin.Client.GetFromJsonAsync<JsonElement>(path);

    private async Task<List<JsonElement>> ItemsAsync(string path) => [.. (await ReadAsync(path)).GetProperty("items").EnumerateArray()];
}
