using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class ApiKeysApiSqliteTests() : ApiKeysApiTests(DatabaseKind.Sqlite);

public sealed class ApiKeysApiPostgresTests() : ApiKeysApiTests(DatabaseKind.PostgreSql);

/// <summary>The key routes, the same tests on both providers.</summary>
public abstract class ApiKeysApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private AdminHost _admin = null!;

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(kind);

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task CreateKey_ValidBody_ReturnsPlaintextOnceAndStoresOnlyItsHash()
    {
        var response = await _admin.Client.PostAsJsonAsync("/api/api-keys", new
        {
            name = "  team-a ",
            daily_tokens = 1000,
            monthly_requests = 50,
            expires_at = "2099-01-31T00:00:00Z",
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var plaintext = created.GetProperty("key").GetString()!;
        Assert.StartsWith("sk-", plaintext, StringComparison.Ordinal);
        Assert.True(plaintext.Length >= 3 + 43, "256 bits of randomness in base64url is 43 characters");
        Assert.Equal("team-a", created.GetProperty("name").GetString());
        Assert.Equal(plaintext[..11], created.GetProperty("key_prefix").GetString());
        Assert.Equal("active", created.GetProperty("status").GetString());
        Assert.Equal(1000, created.GetProperty("daily_tokens").GetInt64());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("monthly_tokens").ValueKind);
        Assert.Equal(50, created.GetProperty("monthly_requests").GetInt64());
        Assert.Equal(new DateTime(2099, 1, 31, 0, 0, 0, DateTimeKind.Utc), created.GetProperty("expires_at").GetDateTime().ToUniversalTime());
        Assert.Equal($"/api/api-keys/{created.GetProperty("id").GetGuid()}", response.Headers.Location?.OriginalString);

        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(ApiKeySecret.Hash(plaintext), stored.KeyHash);
        Assert.DoesNotContain(plaintext, JsonSerializer.Serialize(stored), StringComparison.Ordinal);

        var listed = await _admin.Client.GetStringAsync("/api/api-keys");
        Assert.DoesNotContain(plaintext, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(stored.KeyHash, listed, StringComparison.Ordinal);
        Assert.DoesNotContain("\"key\"", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListKeys_SeveralKeys_ShowsPrefixStatusLimitsAndUsage()
    {
        await CreateAsync(new { name = "first" });
        var second = await CreateAsync(new { name = "second", daily_requests = 5 });
        await _admin.Client.PutAsync($"/api/api-keys/{second.GetProperty("id").GetGuid()}/deactivate", null);

        var keys = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys");

        Assert.Equal(2, keys.GetArrayLength());
        var byName = keys.EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!);
        Assert.Equal("active", byName["first"].GetProperty("status").GetString());
        Assert.Equal("deactivated", byName["second"].GetProperty("status").GetString());
        Assert.Equal(5, byName["second"].GetProperty("daily_requests").GetInt64());
        Assert.Equal(0, byName["first"].GetProperty("usage").GetProperty("today").GetProperty("requests").GetInt64());
        Assert.StartsWith("sk-", byName["first"].GetProperty("key_prefix").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> InvalidCreateBodies => new()
    {
        { """{"daily_tokens": 5}""", "name" },
        { """{"name": "   "}""", "name" },
        { $$"""{"name": "{{new string('x', 201)}}"}""", "name" },
        { """{"name": 42}""", "name" },
        { """{"name": "k", "daily_tokens": -1}""", "daily_tokens" },
        { """{"name": "k", "monthly_tokens": "100"}""", "monthly_tokens" },
        { """{"name": "k", "daily_requests": 1.5}""", "daily_requests" },
        { """{"name": "k", "monthly_requests": true}""", "monthly_requests" },
        { """{"name": "k", "expires_at": "2001-01-01T00:00:00Z"}""", "expires_at" },
        { """{"name": "k", "expires_at": "next tuesday"}""", "expires_at" },
        { """{"name": "k", "dialy_tokens": 5}""", "dialy_tokens" },
        { """{"name": "k", "allowed_models": "llama3"}""", "allowed_models" },
        { """{"name": "k", "allowed_models": ["llama 3"]}""", "allowed_models" },
        { """{"name": "k", "allowed_models": [42]}""", "allowed_models" },
        { """{"name": "k", "allowed_models": ["*:latest"]}""", "allowed_models" },
        { """{"name": "k", "allowed_models": ["library/llama3*"]}""", "allowed_models" },
        { $$"""{"name": "k", "allowed_models": [{{string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"m{i}\""))}}]}""", "allowed_models" },
        { $$"""{"name": "k", "allowed_models": ["{{new string('m', 201)}}"]}""", "allowed_models" },
    };

    [Theory]
    [MemberData(nameof(InvalidCreateBodies))]
    public async Task CreateKey_InvalidField_Returns400NamingTheFieldAndCreatesNothing(string body, string field)
    {
        var response = await PostRawAsync("/api/api-keys", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var messages = problem.GetProperty("errors").GetProperty(field);
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
        await AssertNoKeysAsync();
    }

    [Theory]
    [InlineData("{\"name\": ", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("", "not valid JSON")]
    public async Task CreateKey_MalformedBody_Returns400AndCreatesNothing(string body, string message)
    {
        var response = await PostRawAsync("/api/api-keys", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(message, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNoKeysAsync();
    }

    [Fact]
    public async Task CreateKey_OversizedBody_Returns413AndCreatesNothing()
    {
        var body = $$"""{"name": "{{new string('x', 100_000)}}"}""";

        var response = await PostRawAsync("/api/api-keys", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await AssertNoKeysAsync();
    }

    [Fact]
    public async Task Deactivate_ActiveKey_MarksItDeactivatedWithTimestamp()
    {
        var key = await CreateAsync(new { name = "k" });

        var response = await _admin.Client.PutAsync($"/api/api-keys/{key.GetProperty("id").GetGuid()}/deactivate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("deactivated", body.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("deactivated_at").ValueKind);
        await using var db = await _admin.OpenDbAsync();
        Assert.False((await db.ApiKeys.SingleAsync()).IsActive);
        Assert.Equal(1, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task Deactivate_UnknownId_Returns404()
    {
        var id = Guid.NewGuid();

        var response = await _admin.Client.PutAsync($"/api/api-keys/{id}/deactivate", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(id.ToString(), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateQuota_SubsetWithExplicitNull_ChangesOnlyTheNamedLimits()
    {
        var key = await CreateAsync(new { name = "k", daily_tokens = 10, monthly_tokens = 20, daily_requests = 30, monthly_requests = 40 });
        var id = key.GetProperty("id").GetGuid();

        var response = await PatchRawAsync($"/api/api-keys/{id}/quota", """{"daily_tokens": 11, "monthly_tokens": null}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(11, stored.DailyTokens);
        Assert.Null(stored.MonthlyTokens);
        Assert.Equal(30, stored.DailyRequests);
        Assert.Equal(40, stored.MonthlyRequests);
    }

    [Theory]
    [InlineData("""{"daily_tokens": -5}""", "daily_tokens")]
    [InlineData("""{"daily_tokens": 5, "monthly_requests": "x"}""", "monthly_requests")]
    [InlineData("""{"name": "renamed"}""", "name")]
    [InlineData("""{}""", "body")]
    public async Task UpdateQuota_InvalidBody_Returns400AndChangesNothing(string body, string field)
    {
        var key = await CreateAsync(new { name = "k", daily_tokens = 10 });

        var response = await PatchRawAsync($"/api/api-keys/{key.GetProperty("id").GetGuid()}/quota", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(10, stored.DailyTokens);
        Assert.Equal("k", stored.Name);
        Assert.Equal(0, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task CreateKey_AllowedModels_StoredTrimmedWithoutDuplicatesAndShown()
    {
        var created = await CreateAsync(new { name = "k", allowed_models = new[] { " llama3 ", "llama3:latest", "qwen2.5:*", "hf.co/bartowski/*" } });

        Assert.Equal(["llama3", "qwen2.5:*", "hf.co/bartowski/*"], created.GetProperty("allowed_models").EnumerateArray().Select(e => e.GetString()));
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(["llama3", "qwen2.5:*", "hf.co/bartowski/*"], (await db.ApiKeys.SingleAsync()).AllowedModels!);
    }

    [Fact]
    public async Task CreateKey_NoAllowedModels_ShowsEmptyListForAll()
    {
        var created = await CreateAsync(new { name = "k" });

        Assert.Equal(0, created.GetProperty("allowed_models").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"allowed_models": ["llama3.2:*"]}""", new[] { "llama3.2:*" })]
    [InlineData("""{"allowed_models": []}""", new string[0])]
    [InlineData("""{"allowed_models": null}""", new string[0])]
    public async Task UpdateQuota_AllowedModels_ReplacesTheListAndBumpsRevision(string body, string[] expected)
    {
        var key = await CreateAsync(new { name = "k", daily_tokens = 10, allowed_models = new[] { "llama3" } });

        var response = await PatchRawAsync($"/api/api-keys/{key.GetProperty("id").GetGuid()}/quota", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var shown = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(expected, shown.GetProperty("allowed_models").EnumerateArray().Select(e => e.GetString()));
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(expected.Length == 0 ? null : expected, stored.AllowedModels);
        Assert.Equal(10, stored.DailyTokens);
        Assert.Equal(1, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task UpdateQuota_InvalidAllowedModels_Returns400NamingTheEntryAndChangesNothing()
    {
        var key = await CreateAsync(new { name = "k", allowed_models = new[] { "llama3" } });

        var response = await PatchRawAsync($"/api/api-keys/{key.GetProperty("id").GetGuid()}/quota", """{"daily_tokens": 5, "allowed_models": ["qwen2.5", "bad name"]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("entry 2 ('bad name')", problem.GetProperty("errors").GetProperty("allowed_models")[0].GetString(), StringComparison.Ordinal);
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(["llama3"], stored.AllowedModels!);
        Assert.Null(stored.DailyTokens);
    }

    [Fact]
    public async Task UpdateQuota_UnknownId_Returns404()
    {
        var response = await PatchRawAsync($"/api/api-keys/{Guid.NewGuid()}/quota", """{"daily_tokens": 1}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ListKeys_KeyPastItsExpiry_ShowsExpired()
    {
        // Far enough ahead that a slow create on a busy machine is not refused as already past.
        var expiry = DateTime.UtcNow.AddSeconds(5);
        await CreateAsync(new { name = "short-lived", expires_at = expiry.ToString("O") });
        await Task.Delay(expiry - DateTime.UtcNow + TimeSpan.FromMilliseconds(200));

        var keys = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys");

        Assert.Equal("expired", keys[0].GetProperty("status").GetString());
    }

    private async Task<JsonElement> CreateAsync(object body)
    {
        var response = await _admin.Client.PostAsJsonAsync("/api/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> PostRawAsync(string path, string body) =>
        _admin.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> PatchRawAsync(string path, string body) =>
        _admin.Client.PatchAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private async Task AssertNoKeysAsync()
    {
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }
}
