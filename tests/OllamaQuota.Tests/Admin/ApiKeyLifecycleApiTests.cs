using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class ApiKeyLifecycleApiSqliteTests() : ApiKeyLifecycleApiTests(DatabaseKind.Sqlite);

public sealed class ApiKeyLifecycleApiPostgresTests() : ApiKeyLifecycleApiTests(DatabaseKind.PostgreSql);

/// <summary>Rotation, reactivation and deletion through the Admin API, the same tests on both providers.</summary>
public abstract class ApiKeyLifecycleApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private AdminHost _admin = null!;

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(kind);

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task RotateKey_NoBody_NewSecretOnceOldOneForTwentyFourHoursSameIdAndLimits()
    {
        var created = await CreateAsync(new { name = "team-a", daily_tokens = 1000, allowed_models = new[] { "llama3" } });
        var id = created.GetProperty("id").GetGuid();
        var oldKey = created.GetProperty("key").GetString()!;
        var before = DateTime.UtcNow;

        var response = await _admin.Client.PostAsync($"/api/api-keys/{id}/rotate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
        var newKey = rotated.GetProperty("key").GetString()!;
        Assert.StartsWith("sk-", newKey, StringComparison.Ordinal);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(id, rotated.GetProperty("id").GetGuid());
        Assert.Equal(newKey[..11], rotated.GetProperty("key_prefix").GetString());
        Assert.Equal(oldKey[..11], rotated.GetProperty("previous_key_prefix").GetString());
        Assert.Equal("active", rotated.GetProperty("status").GetString());
        Assert.Equal(1000, rotated.GetProperty("daily_tokens").GetInt64());
        var graceEnds = rotated.GetProperty("previous_key_expires_at").GetDateTime().ToUniversalTime();
        Assert.InRange(graceEnds, before.AddHours(24).AddSeconds(-1), DateTime.UtcNow.AddHours(24).AddSeconds(1));

        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal((ApiKeySecret.Hash(newKey), ApiKeySecret.Hash(oldKey)), (stored.KeyHash, stored.PreviousKeyHash));
        Assert.Equal(["llama3"], stored.AllowedModels!);
        Assert.Equal(1, (await db.Settings.SingleAsync()).Revision);
        var listed = await _admin.Client.GetStringAsync("/api/api-keys");
        Assert.DoesNotContain(newKey, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(stored.PreviousKeyHash!, listed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"grace_hours": 2}""", "", 2)]
    [InlineData("", "?grace_hours=0", 0)]
    [InlineData("{}", "?grace_hours=720", 720)]
    public async Task RotateKey_GraceGiven_OldSecretEndsThen(string body, string query, int hours)
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();
        var before = DateTime.UtcNow;

        var response = await PostRawAsync($"/api/api-keys/{id}/rotate{query}", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        var graceEnds = (await db.ApiKeys.SingleAsync()).PreviousKeyExpiresAt!.Value;
        Assert.InRange(graceEnds, before.AddHours(hours).AddSeconds(-1), DateTime.UtcNow.AddHours(hours).AddSeconds(1));
    }

    [Theory]
    [InlineData("""{"grace_hours": -1}""", "")]
    [InlineData("""{"grace_hours": 721}""", "")]
    [InlineData("""{"grace_hours": 1.5}""", "")]
    [InlineData("""{"grace_hours": "24"}""", "")]
    [InlineData("""{"grace_hours": null}""", "")]
    [InlineData("", "?grace_hours=soon")]
    [InlineData("", "?grace_hours=-3")]
    [InlineData("""{"grace_hours": 2}""", "?grace_hours=2")]
    [InlineData("""{"grace_hour": 2}""", "")]
    public async Task RotateKey_InvalidGrace_Returns400NamingTheFieldAndChangesNothing(string body, string query)
    {
        var created = await CreateAsync(new { name = "k" });
        var id = created.GetProperty("id").GetGuid();

        var response = await PostRawAsync($"/api/api-keys/{id}/rotate{query}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Single(errors.EnumerateObject(), e => e.Name.StartsWith("grace_hour", StringComparison.Ordinal));
        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(ApiKeySecret.Hash(created.GetProperty("key").GetString()!), stored.KeyHash);
        Assert.Null(stored.PreviousKeyHash);
        Assert.Equal(1, await db.AuditEvents.CountAsync());
        Assert.Equal(0, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task RotateKey_Twice_NewestReplacedSecretWins()
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();
        var first = await RotateAsync(id, 24);

        var second = await RotateAsync(id, 1);

        await using var db = await _admin.OpenDbAsync();
        var stored = await db.ApiKeys.SingleAsync();
        Assert.Equal(ApiKeySecret.Hash(second.GetProperty("key").GetString()!), stored.KeyHash);
        Assert.Equal(ApiKeySecret.Hash(first.GetProperty("key").GetString()!), stored.PreviousKeyHash);
        Assert.True(stored.PreviousKeyExpiresAt < DateTime.UtcNow.AddHours(2), "the second rotation's one-hour grace replaces the first's");
    }

    [Fact]
    public async Task ReactivateKey_DeactivatedKey_ActiveAgain()
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();
        (await _admin.Client.PutAsync($"/api/api-keys/{id}/deactivate", null)).EnsureSuccessStatusCode();

        var response = await _admin.Client.PostAsync($"/api/api-keys/{id}/reactivate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("active", body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("deactivated_at").ValueKind);
        await using var db = await _admin.OpenDbAsync();
        Assert.True((await db.ApiKeys.SingleAsync()).IsActive);
        Assert.Equal(2, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task ReactivateKey_ActiveKey_ChangesNothingAndRecordsNothing()
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();

        var response = await _admin.Client.PostAsync($"/api/api-keys/{id}/reactivate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(1, await db.AuditEvents.CountAsync());
        Assert.Equal(0, (await db.Settings.SingleAsync()).Revision);
    }

    [Fact]
    public async Task ReactivateKey_ExpiredKey_StaysExpiredUntilItsExpiryIsChanged()
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();
        await using (var db = await _admin.OpenDbAsync())
        {
            await db.ApiKeys.ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTime.UtcNow.AddDays(-1)).SetProperty(k => k.IsActive, false));
        }

        var reactivated = await (await _admin.Client.PostAsync($"/api/api-keys/{id}/reactivate", null)).Content.ReadFromJsonAsync<JsonElement>();
        var extended = await PatchRawAsync($"/api/api-keys/{id}/quota", """{"expires_at": "2099-01-01T00:00:00Z"}""");

        Assert.Equal("expired", reactivated.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, extended.StatusCode);
        Assert.Equal("active", (await extended.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task UpdateQuota_ExpiryInThePast_Returns400NamingItAndChangesNothing()
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();

        var response = await PatchRawAsync($"/api/api-keys/{id}/quota", """{"expires_at": "2001-01-01T00:00:00Z"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("expires_at", out _));
        await using var db = await _admin.OpenDbAsync();
        Assert.Null((await db.ApiKeys.SingleAsync()).ExpiresAt);
    }

    [Fact]
    public async Task DeleteKey_WithUsage_HiddenFromListShownOnRequestAndUsageKept()
    {
        var kept = (await CreateAsync(new { name = "kept" })).GetProperty("id").GetGuid();
        var id = (await CreateAsync(new { name = "gone" })).GetProperty("id").GetGuid();
        var today = _admin.Services.GetRequiredService<QuotaCalendar>().Today;
        await using (var db = await _admin.OpenDbAsync())
        {
            db.UsageDaily.Add(new UsageDaily { KeyId = id, Day = today, Model = "llama3", Requests = 3, PromptTokens = 10, CompletionTokens = 20 });
            await db.SaveChangesAsync();
        }

        var response = await _admin.Client.DeleteAsync($"/api/api-keys/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var deleted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("deleted", deleted.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, deleted.GetProperty("deleted_at").ValueKind);
        var listed = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys");
        Assert.Equal([kept], listed.EnumerateArray().Select(k => k.GetProperty("id").GetGuid()));
        var all = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys?include_deleted=true");
        Assert.Equal(2, all.GetArrayLength());
        Assert.Equal(3, all.EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id).GetProperty("usage").GetProperty("month").GetProperty("requests").GetInt64());
        var daily = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys/{id}/usage/daily");
        Assert.Equal(3, daily.EnumerateArray().Single().GetProperty("requests").GetInt64());
        await using var check = await _admin.OpenDbAsync();
        Assert.Equal(1, await check.UsageDaily.CountAsync(d => d.KeyId == id));
    }

    [Fact]
    public async Task DeleteKey_Twice_SecondChangesNothing()
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();
        (await _admin.Client.DeleteAsync($"/api/api-keys/{id}")).EnsureSuccessStatusCode();

        var again = await _admin.Client.DeleteAsync($"/api/api-keys/{id}");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(["api_key.create", "api_key.delete"], await db.AuditEvents.OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        Assert.Equal(1, (await db.Settings.SingleAsync()).Revision);
    }

    [Theory]
    [InlineData("POST", "rotate")]
    [InlineData("POST", "reactivate")]
    [InlineData("PUT", "deactivate")]
    [InlineData("PATCH", "quota")]
    public async Task ChangeKey_DeletedKey_Returns409AndChangesNothing(string method, string action)
    {
        var id = (await CreateAsync(new { name = "k" })).GetProperty("id").GetGuid();
        (await _admin.Client.DeleteAsync($"/api/api-keys/{id}")).EnsureSuccessStatusCode();

        var response = await _admin.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/api-keys/{id}/{action}")
        {
            Content = action == "quota" ? new StringContent("""{"daily_tokens": 5}""", Encoding.UTF8, "application/json") : null,
        });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("deleted", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(2, await db.AuditEvents.CountAsync());
        Assert.Null((await db.ApiKeys.SingleAsync()).DailyTokens);
    }

    [Theory]
    [InlineData("POST", "/rotate")]
    [InlineData("POST", "/reactivate")]
    [InlineData("DELETE", "")]
    public async Task ChangeKey_UnknownId_Returns404(string method, string suffix)
    {
        var response = await _admin.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/api-keys/{Guid.NewGuid()}{suffix}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<JsonElement> CreateAsync(object body)
    {
        var response = await _admin.Client.PostAsJsonAsync("/api/api-keys", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> RotateAsync(Guid id, int graceHours)
    {
        var response = await _admin.Client.PostAsJsonAsync($"/api/api-keys/{id}/rotate", new { grace_hours = graceHours });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> PostRawAsync(string path, string body) =>
        _admin.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> PatchRawAsync(string path, string body) =>
        _admin.Client.PatchAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
}
