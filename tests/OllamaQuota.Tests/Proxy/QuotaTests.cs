using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>The four limits through the proxy, with the clock in the test's hands (Berlin time).</summary>
public sealed class QuotaTests : IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Noon);
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(clock: _clock);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task DailyRequests_LimitReached_Refuses429UntilLocalMidnight()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, 2, null));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);

        var refused = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromHours(12), refused.Headers.RetryAfter?.Delta);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Contains("daily request limit of 2", error, StringComparison.Ordinal);
        Assert.Equal(2, _proxy.Ollama.Requests.Count);

        _clock.Advance(TimeSpan.FromHours(12));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
    }

    [Fact]
    public async Task MonthlyRequests_LimitReachedAcrossDays_RefusesUntilMonthEnds()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, null, 2));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        _clock.Advance(TimeSpan.FromDays(1));

        var refused = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        // 2026-11-24 12:00 Berlin → 2026-12-01 00:00 Berlin is 6.5 days.
        Assert.Equal(TimeSpan.FromDays(6.5), refused.Headers.RetryAfter?.Delta);
        _clock.Advance(TimeSpan.FromDays(6.5));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
    }

    [Fact]
    public async Task DailyTokens_Exhausted_RefusesNamingTheLimitThenResets()
    {
        using var client = await ClientAsync(new QuotaLimits(40, null, null, null));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);

        var refused = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("daily token limit of 40", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        _clock.Advance(TimeSpan.FromHours(12));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
    }

    [Fact]
    public async Task MonthlyTokens_ExhaustedOnOpenAiRoute_Refuses429InOpenAiStyle()
    {
        using var client = await ClientAsync(new QuotaLimits(null, 40, null, null));
        Assert.Equal(HttpStatusCode.OK, (await OpenAiAsync(client, "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).StatusCode);

        var refused = await OpenAiAsync(client, "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("monthly_tokens", error.GetProperty("param").GetString());
        Assert.Equal("tokens", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task RetryAfter_OnDstSpringForwardDay_CountsThe23HourDay()
    {
        // 2026-03-29 00:30 in Berlin (still UTC+1); that day has 23 hours, so its end is 22.5 hours away.
        _clock.Set(new DateTimeOffset(2026, 3, 28, 23, 30, 0, TimeSpan.Zero));
        using var client = await ClientAsync(new QuotaLimits(null, null, 1, null));
        await ChatAsync(client);

        var refused = await ChatAsync(client);

        Assert.Equal(TimeSpan.FromHours(22.5), refused.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Response_WithLimits_CarriesRateLimitHeadersForTheTightestWindows()
    {
        using var client = await ClientAsync(new QuotaLimits(1000, 500, 10, 3));

        var response = await ChatAsync(client);

        Assert.Equal("3", Header(response, "x-ratelimit-limit-requests"));
        Assert.Equal("2", Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("204h0m0s", Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal("500", Header(response, "x-ratelimit-limit-tokens"));
        Assert.True(long.Parse(Header(response, "x-ratelimit-remaining-tokens")!, System.Globalization.CultureInfo.InvariantCulture) < 500);
    }

    [Fact]
    public async Task Response_Unlimited_CarriesNoRateLimitHeaders()
    {
        using var client = await ClientAsync(QuotaLimits.Unlimited);

        var response = await ChatAsync(client);

        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("x-ratelimit", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/api/generate", """{"model":"llama3","prompt":"hi","stream":false,"options":{"num_predict":500,"temperature":0.1}}""", "num_predict")]
    [InlineData("/api/chat", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", "num_predict")]
    [InlineData("/v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"max_tokens":500}""", "max_tokens")]
    [InlineData("/v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":500}""", "max_completion_tokens")]
    [InlineData("/v1/completions", """{"model":"llama3","prompt":"hi"}""", "max_tokens")]
    public async Task CompletionMaximum_AboveTokensLeft_IsClampedUpstream(string path, string body, string field)
    {
        using var client = await ClientAsync(new QuotaLimits(100, null, null, null));

        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = _proxy.Ollama.Requests.Single().Body!;
        var clamped = field == "num_predict" ? forwarded["options"]!["num_predict"]! : forwarded[field]!;
        Assert.InRange(clamped.GetValue<long>(), 80, 99);
        if (path == "/api/generate")
        {
            Assert.Equal(0.1, forwarded["options"]!["temperature"]!.GetValue<double>());
        }
    }

    [Fact]
    public async Task CompletionMaximum_BelowTokensLeft_IsForwardedUnchanged()
    {
        using var client = await ClientAsync(new QuotaLimits(1000, null, null, null));
        const string body = """{"model":"llama3","prompt":"hi","stream":false,"options":{"num_predict":5}}""";

        await client.PostAsync("/api/generate", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(JsonDocument.Parse(body).RootElement.GetRawText(), _proxy.Ollama.Requests.Single().Body!.ToJsonString());
    }

    [Fact]
    public async Task NoTokenLimit_BodyIsForwardedWithoutAMaximum()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, 100, 100));

        await ChatAsync(client);

        Assert.Null(_proxy.Ollama.Requests.Single().Body!["options"]);
    }

    [Fact]
    public async Task DailyRequests_200Simultaneous_ExactlyTheLimitReachOllama()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, 50, null));

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => ChatAsync(client)));

        Assert.Equal(50, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(150, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Equal(50, _proxy.Ollama.Requests.Count);
        Assert.Equal(50, (await _proxy.WaitForUsageAsync(50)).Count);
    }

    [Fact]
    public async Task DailyTokens_50SimultaneousStreams_NeverExceededBeyondPromptEstimateError()
    {
        const int limit = 600;
        using var client = await ClientAsync(new QuotaLimits(limit, null, null, null));
        const string body = """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":15}}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            var response = await client.PostAsync("/api/chat", new StringContent(body, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
            return response;
        }));

        var served = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var usage = await _proxy.WaitForUsageAsync(served);
        var used = usage.Sum(u => u.PromptTokens + u.CompletionTokens);
        var estimateError = FakeOllama.PromptEvalCount; // the fake's prompt count exceeds our estimate by at most this much
        Assert.InRange(served, 10, 49);
        Assert.True(used <= limit + (served * estimateError), $"{served} served used {used} tokens against a limit of {limit}");
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
    }

    [Fact]
    public async Task Restart_MidDay_CountersAreRebuiltFromTheDatabase()
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 3, null));
        using (var client = _proxy.ClientFor(key))
        {
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        }

        var databaseUrl = _proxy.DatabaseUrl;
        await _proxy.DisposeAsync();
        _proxy = await ProxyHost.StartAsync(clock: _clock, existingDatabaseUrl: databaseUrl);

        using var restarted = _proxy.ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(restarted)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(restarted)).StatusCode);
    }

    private async Task<HttpClient> ClientAsync(QuotaLimits limits) => _proxy.ClientFor((await _proxy.CreateKeyAsync(limits)).Key);

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> OpenAiAsync(HttpClient client, string body) =>
        client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
