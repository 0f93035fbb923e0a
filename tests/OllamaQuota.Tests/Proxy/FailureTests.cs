using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>What happens to the client, the upstream and the quota when something goes wrong.</summary>
public sealed class FailureTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["UPSTREAM_TIMEOUT_SECONDS"] = "1" });

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task ClientDisconnectsMidStream_UpstreamIsCancelledAndPartialOutputCharged()
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 10, null));
        using var client = _proxy.ClientFor(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
        {
            Content = new StringContent("""{"model":"slow","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };

        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await reader.ReadLineAsync();
            await reader.ReadLineAsync();
            await reader.ReadLineAsync();
        }

        var usage = Assert.Single(await _proxy.WaitForUsageAsync(1));
        await WaitUntilAsync(() => _proxy.Ollama.Aborted == 1);
        Assert.Equal(200, usage.StatusCode);
        Assert.InRange(usage.CompletionTokens, 3, FakeOllama.DefaultCompletionTokens - 1);
        Assert.True(usage.PromptTokens > 0);
    }

    [Fact]
    public async Task OllamaUnreachable_Returns502AndRefundsTheRequest()
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);
        await _proxy.Ollama.DisposeAsync();

        var first = await ChatAsync(client, "llama3");
        var second = await ChatAsync(client, "llama3");

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Contains("unreachable", (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        var usage = await _proxy.WaitForUsageAsync(2);
        Assert.All(usage, u => Assert.Equal((502, 0, 0), (u.StatusCode, u.PromptTokens, u.CompletionTokens)));
    }

    [Fact]
    public async Task OllamaSilent_Returns504InTheCallersStyleAndRefunds()
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);

        var response = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"hang","messages":[]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("api_error", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client, "llama3")).StatusCode);
    }

    /// <summary>The timeout (1 s here) bounds the wait for Ollama's answer, not the pauses of a generation under way.</summary>
    [Fact]
    public async Task OllamaPausesMidStreamLongerThanTheTimeout_TheStreamGoesOn()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);
        _proxy.Ollama.ChunkDelay = TimeSpan.FromMilliseconds(1500);

        var response = await client.PostAsync("/api/generate",
            new StringContent("""{"model":"llama3","prompt":"hi","options":{"num_predict":2}}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"done\":true", lines[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error", HttpStatusCode.InternalServerError)]
    [InlineData("missing", HttpStatusCode.NotFound)]
    public async Task OllamaRefuses_ItsErrorIsPassedOnAndTheRequestRefunded(string model, HttpStatusCode status)
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);

        var failed = await ChatAsync(client, model);

        Assert.Equal(status, failed.StatusCode);
        Assert.True((await failed.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out _));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client, "llama3")).StatusCode);
        var usage = await _proxy.WaitForUsageAsync(2);
        Assert.Contains(usage, u => u.StatusCode == (int)status && u.PromptTokens == 0);
    }

    [Fact]
    public async Task OllamaDiesMidStream_ClientResponseIsAbortedNotEnded()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(
            "/api/chat", new StringContent("""{"model":"broken","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json")));

        var usage = Assert.Single(await _proxy.WaitForUsageAsync(1));
        Assert.Equal(200, usage.StatusCode);
        Assert.Equal(2, usage.CompletionTokens);
    }

    [Fact]
    public async Task NoCountsFromOllama_CompletionCountedWithTheTokenizer()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);

        var response = await ChatAsync(client, "nocounts");
        await response.Content.ReadAsStringAsync();

        var usage = Assert.Single(await _proxy.WaitForUsageAsync(1));
        Assert.Equal(FakeOllama.DefaultCompletionTokens, usage.CompletionTokens); // " tok" is one cl100k token
        Assert.True(usage.PromptTokens > 0);
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "/api/chat", "{\"model\": ", "not valid JSON" },
        { "/api/chat", "[1,2]", "must be a JSON object" },
        { "/api/chat", """{"model": 42, "messages": []}""", "'model' must be a string" },
        { "/api/chat", """{"messages": "hi"}""", "'messages' must be an array" },
        { "/api/chat", """{"messages": [{"content": "no role"}]}""", "'role'" },
        { "/api/chat", """{"messages": [], "stream": "yes"}""", "'stream' must be true or false" },
        { "/api/generate", """{"prompt": ["a"]}""", "'prompt' must be a string" },
        { "/api/generate", """{"prompt": "a", "options": {"num_predict": "many"}}""", "'options.num_predict' must be a whole number" },
        { "/api/embed", """{"input": 5}""", "'input' must be a string or an array of strings" },
        { "/v1/chat/completions", """{"messages": [], "max_tokens": 1.5}""", "'max_tokens' must be a whole number" },
        { "/v1/chat/completions", """{"messages": [], "stream_options": {"include_usage": "y"}}""", "include_usage" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadBody_Returns400InTheCallersStyleAndChargesNothing(string path, string body, string message)
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);

        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        var text = path.StartsWith("/v1", StringComparison.Ordinal) ? error.GetProperty("message").GetString() : error.GetString();
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client, "llama3")).StatusCode);
    }

    [Fact]
    public async Task OversizedBody_Returns413AndChargesNothing()
    {
        await using var proxy = await ProxyHost.StartAsync(settings: new Dictionary<string, string?> { ["PROXY_MAX_BODY_BYTES"] = "1000" });
        var (_, key) = await proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = proxy.ClientFor(key);
        var prompt = new string('x', 2000);

        // As clients of large uploads do, wait for the go-ahead: the proxy refuses without reading the body.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/generate")
        {
            Content = new StringContent($$"""{"prompt":"{{prompt}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than 1000 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(proxy.Ollama.Requests);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client, "llama3")).StatusCode);
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client, string model) => client.PostAsync("/api/chat",
        new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "the condition did not become true within 5 s");
    }
}
