using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>An owner's limits through the embedded proxy, and <c>GET /quota</c>, with the clock in the test's hands.</summary>
public sealed class OwnerQuotaTests : IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Noon);
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(clock: _clock);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task OwnerDailyRequests_ReachedOverTwoKeys_Refuses429NamingTheOwnersLimit()
    {
        var owner = await _proxy.CreateOwnerAsync(new QuotaLimits(null, null, 2, null));
        using var first = _proxy.ClientFor((await _proxy.CreateKeyAsync(ownerId: owner)).Key);
        using var second = _proxy.ClientFor((await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 100, null), ownerId: owner)).Key);
        Assert.Equal(HttpStatusCode.OK, (await OpenAiAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OpenAiAsync(second)).StatusCode);

        var refused = await OpenAiAsync(second);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromHours(12), refused.Headers.RetryAfter?.Delta);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("owner.daily_requests", error.GetProperty("param").GetString());
        Assert.Equal("owner_rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("daily request limit of 2 for the owner of this API key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await OpenAiAsync(first)).StatusCode);
    }

    [Fact]
    public async Task Response_KeyAndOwnerLimits_BothInTheIetfHeadersAndTheTightestInOpenAis()
    {
        var owner = await _proxy.CreateOwnerAsync(new QuotaLimits(null, null, 5, null, MaxConcurrentRequests: 2));
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 100, null), ownerId: owner)).Key);

        var response = await ChatAsync(client);

        Assert.Equal(
            "\"daily_requests\";q=100;w=86400, \"owner.daily_requests\";q=5;w=86400, \"owner.max_concurrent_requests\";q=2;qu=\"concurrent-requests\"",
            Header(response, "RateLimit-Policy"));
        Assert.Equal("\"daily_requests\";r=99;t=43200, \"owner.daily_requests\";r=4;t=43200, \"owner.max_concurrent_requests\";r=1", Header(response, "RateLimit"));
        Assert.Equal(("5", "4"), (Header(response, "x-ratelimit-limit-requests"), Header(response, "x-ratelimit-remaining-requests")));
    }

    [Fact]
    public async Task Quota_KeyWithAnOwner_ShowsEveryWindowOfBothTheirResetsInFlightAndAllowedModels()
    {
        var owner = await _proxy.CreateOwnerAsync(new QuotaLimits(null, null, 10, null, MaxConcurrentRequests: 3));
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(1000, null, null, null, RequestsPerMinute: 5), allowedModels: ["llama3"], ownerId: owner);
        using var client = _proxy.ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        await _proxy.WaitForUsageAsync(1);

        var quota = await client.GetFromJsonAsync<JsonElement>("/quota");
        var again = await client.GetFromJsonAsync<JsonElement>("/quota");

        Assert.Equal("test", quota.GetProperty("key").GetProperty("name").GetString());
        Assert.Equal(key[..quota.GetProperty("key").GetProperty("prefix").GetString()!.Length], quota.GetProperty("key").GetProperty("prefix").GetString());
        Assert.Equal("team", quota.GetProperty("owner").GetProperty("name").GetString());
        Assert.Equal(["llama3"], quota.GetProperty("allowed_models").EnumerateArray().Select(m => m.GetString()));
        var windows = quota.GetProperty("windows").EnumerateArray().ToList();
        Assert.Equal(
            [
                "key requests_per_minute", "key tokens_per_minute", "key daily_requests", "key daily_tokens", "owner daily_requests",
                "owner daily_tokens", "key monthly_requests", "key monthly_tokens", "owner monthly_requests", "owner monthly_tokens",
            ],
            windows.Select(w => $"{w.GetProperty("scope").GetString()} {w.GetProperty("limit").GetString()}"));
        var ownerDay = Window(windows, "owner", "daily_requests");
        Assert.Equal((10, 1, 9, 43200), (ownerDay.GetProperty("limit_value").GetInt64(), ownerDay.GetProperty("used").GetInt64(),
            ownerDay.GetProperty("remaining").GetInt64(), ownerDay.GetProperty("reset_seconds").GetInt64()));
        Assert.Equal(new DateTime(2026, 11, 22, 23, 0, 0, DateTimeKind.Utc), ownerDay.GetProperty("resets_at").GetDateTime().ToUniversalTime());
        var tokens = Window(windows, "key", "daily_tokens");
        Assert.True(tokens.GetProperty("used").GetInt64() > 0);
        Assert.Equal(1000 - tokens.GetProperty("used").GetInt64(), tokens.GetProperty("remaining").GetInt64());
        var minute = Window(windows, "key", "requests_per_minute");
        Assert.Equal((5, 1, 4, 60), (minute.GetProperty("limit_value").GetInt64(), minute.GetProperty("used").GetInt64(),
            minute.GetProperty("remaining").GetInt64(), minute.GetProperty("reset_seconds").GetInt64()));
        var unlimited = Window(windows, "key", "monthly_requests");
        Assert.Equal((JsonValueKind.Null, 1, JsonValueKind.Null), (unlimited.GetProperty("limit_value").ValueKind, unlimited.GetProperty("used").GetInt64(),
            unlimited.GetProperty("remaining").ValueKind));
        Assert.Equal(
            ["key  0", "owner 3 0"],
            quota.GetProperty("in_flight").EnumerateArray().Select(f =>
                $"{f.GetProperty("scope").GetString()} {(f.GetProperty("limit").ValueKind == JsonValueKind.Null ? "" : f.GetProperty("limit").GetInt64())} {f.GetProperty("used").GetInt64()}"));

        // Read-only and not metered: the same counts twice, and no usage recorded for it.
        Assert.Equal(quota.GetProperty("windows").GetRawText(), again.GetProperty("windows").GetRawText());
        await using var db = await _proxy.OpenDbAsync();
        Assert.Equal(1, await db.UsageEvents.CountAsync());
    }

    [Fact]
    public async Task Quota_KeyOnItsOwn_NoOwnerAndOnlyItsDayAndMonth()
    {
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);

        var quota = await client.GetFromJsonAsync<JsonElement>("/quota");

        Assert.False(quota.TryGetProperty("owner", out _));
        Assert.Empty(quota.GetProperty("allowed_models").EnumerateArray());
        Assert.Equal(4, quota.GetProperty("windows").GetArrayLength());
        Assert.Equal(1, quota.GetProperty("in_flight").GetArrayLength());
    }

    [Fact]
    public async Task Quota_WithoutAKey_401()
    {
        var response = await _proxy.Anonymous.GetAsync("/quota");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static JsonElement Window(List<JsonElement> windows, string scope, string limit) =>
        windows.Single(w => w.GetProperty("scope").GetString() == scope && w.GetProperty("limit").GetString() == limit);

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> OpenAiAsync(HttpClient client) => client.PostAsync("/v1/chat/completions",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"max_tokens":5}""", Encoding.UTF8, "application/json"));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
