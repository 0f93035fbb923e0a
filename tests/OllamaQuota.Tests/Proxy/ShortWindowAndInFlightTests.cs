using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Minute and hour windows and the in-flight limit through the embedded proxy, with the clock in the test's hands.</summary>
public sealed class ShortWindowAndInFlightTests : IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Noon);
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(clock: _clock);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task RequestsPerMinute_Reached_Refuses429NamingTheWindowUntilTheMinuteEnds()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, 100, null, RequestsPerMinute: 2));
        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);

        var refused = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(15), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("15s", Header(refused, "x-ratelimit-reset-requests"));
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Contains("per-minute request limit of 2", error, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
    }

    [Fact]
    public async Task TokensPerHour_UsedUpOnOpenAiRoute_Refuses429InOpenAiStyleNamingTheField()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, null, null, TokensPerHour: 20));
        Assert.Equal(HttpStatusCode.OK, (await OpenAiAsync(client)).StatusCode);
        _clock.Advance(TimeSpan.FromMinutes(10));

        var refused = await OpenAiAsync(client);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(50), refused.Headers.RetryAfter?.Delta);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("tokens_per_hour", error.GetProperty("param").GetString());
        Assert.Equal("tokens", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Response_EveryLimit_ListedInTheIetfHeadersBesideTheTightestInOpenAis()
    {
        using var client = await ClientAsync(new QuotaLimits(100000, null, 1000, null, RequestsPerMinute: 60, TokensPerHour: 50000, MaxConcurrentRequests: 4));

        var response = await ChatAsync(client);

        Assert.Equal(
            "\"requests_per_minute\";q=60;w=60, \"tokens_per_hour\";q=50000;qu=\"tokens\";w=3600, \"daily_requests\";q=1000;w=86400, "
            + "\"daily_tokens\";q=100000;qu=\"tokens\";w=86400, \"max_concurrent_requests\";q=4;qu=\"concurrent-requests\"",
            Header(response, "RateLimit-Policy"));
        var current = Header(response, "RateLimit")!;
        Assert.StartsWith("\"requests_per_minute\";r=59;t=60, \"tokens_per_hour\";r=", current, StringComparison.Ordinal);
        Assert.EndsWith("\"max_concurrent_requests\";r=3", current, StringComparison.Ordinal);
        Assert.Equal("60", Header(response, "x-ratelimit-limit-requests"));
        Assert.Equal("59", Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("1m0s", Header(response, "x-ratelimit-reset-requests"));
    }

    [Fact]
    public async Task Response_Unlimited_CarriesNoIetfHeaders()
    {
        using var client = await ClientAsync(QuotaLimits.Unlimited);

        var response = await ChatAsync(client);

        Assert.Null(Header(response, "RateLimit-Policy"));
        Assert.Null(Header(response, "RateLimit"));
    }

    [Theory]
    [InlineData("/api/chat", """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":true}""")]
    public async Task MaxConcurrentRequests_Reached_Refuses429WithRetryAfterOneInTheCallersStyle(string path, string body)
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1));
        var release = new TaskCompletionSource();
        _proxy.Ollama.ResponseStart = release.Task;
        var held = client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        await WaitUntilAsync(() => !_proxy.Ollama.Requests.IsEmpty);

        var refused = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        var message = path.StartsWith("/v1", StringComparison.Ordinal) ? error.GetProperty("message").GetString() : error.GetString();
        Assert.Contains("concurrent request limit of 1", message, StringComparison.Ordinal);
        if (path.StartsWith("/v1", StringComparison.Ordinal))
        {
            Assert.Equal("max_concurrent_requests", error.GetProperty("param").GetString());
            Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
    }

    [Fact]
    public async Task MaxConcurrentRequests_StreamCancelledByTheClient_ItsSlotComesBack()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1));
        _proxy.Ollama.ChunkDelay = TimeSpan.FromMilliseconds(300);
        using (var cancel = new CancellationTokenSource())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
            {
                Content = new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            using var streaming = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var stream = await streaming.Content.ReadAsStreamAsync(cancel.Token);
            Assert.True(await stream.ReadAsync(new byte[1], cancel.Token) > 0);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(client)).StatusCode);
            await cancel.CancelAsync();
        }

        _proxy.Ollama.ChunkDelay = TimeSpan.Zero;
        await WaitUntilAsync(async () => (await ChatAsync(client)).StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task MaxConcurrentRequests_UpstreamFails_ItsSlotComesBack()
    {
        using var client = await ClientAsync(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1));

        var failed = await client.PostAsync("/api/chat", new StringContent(
            """{"model":"error","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }

    private async Task<HttpClient> ClientAsync(QuotaLimits limits) => _proxy.ClientFor((await _proxy.CreateKeyAsync(limits)).Key);

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> OpenAiAsync(HttpClient client) => client.PostAsync("/v1/chat/completions",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"max_tokens":5}""", Encoding.UTF8, "application/json"));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
