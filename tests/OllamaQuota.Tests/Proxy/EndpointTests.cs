using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Every endpoint through the proxy to the fake Ollama, streamed and not.</summary>
public sealed class EndpointTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _proxy = await ProxyHost.StartAsync();
        _client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/generate", """{"model":"llama3","prompt":"Why is the sky blue?","stream":false}""", "\"response\"")]
    [InlineData("/api/chat", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", "\"message\"")]
    [InlineData("/api/embed", """{"model":"llama3","input":["a","b"]}""", "\"embeddings\"")]
    [InlineData("/api/embeddings", """{"model":"llama3","prompt":"a"}""", "\"embedding\"")]
    [InlineData("/api/show", """{"model":"llama3"}""", "\"modelfile\"")]
    [InlineData("/v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""", "\"chat.completion\"")]
    [InlineData("/v1/completions", """{"model":"llama3","prompt":"hi"}""", "\"text_completion\"")]
    [InlineData("/v1/embeddings", """{"model":"llama3","input":"hi"}""", "\"embedding\"")]
    public async Task Post_EachEndpoint_ForwardsAndReturnsUpstreamBody(string path, string body, string expected)
    {
        var response = await PostAsync(path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var (forwardedPath, _, authorization, _) = _proxy.Ollama.Requests.Single();
        Assert.Equal(path, forwardedPath);
        Assert.Null(authorization);
    }

    [Theory]
    [InlineData("/api/tags", "llama3:latest")]
    [InlineData("/api/version", FakeOllama.Version)]
    [InlineData("/api/versions", FakeOllama.Version)]
    [InlineData("/v1/models", "llama3:latest")]
    [InlineData("/v1/models/qwen2.5:0.5b", "qwen2.5:0.5b")]
    public async Task Get_EachEndpoint_ForwardsToOllama(string path, string expected)
    {
        var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_Streamed_ArrivesAsNdjsonEndingWithDoneChunk()
    {
        var response = await PostAsync("/api/chat", """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""");

        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FakeOllama.DefaultCompletionTokens + 1, lines.Length);
        using var last = JsonDocument.Parse(lines[^1]);
        Assert.True(last.RootElement.GetProperty("done").GetBoolean());
        Assert.Equal(FakeOllama.PromptEvalCount, last.RootElement.GetProperty("prompt_eval_count").GetInt32());
    }

    [Fact]
    public async Task Generate_FirstChunk_ReachesClientBeforeStreamEnds()
    {
        _proxy.Ollama.ChunkDelay = TimeSpan.FromMilliseconds(300);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/generate")
        {
            Content = new StringContent("""{"model":"llama3","prompt":"hi","options":{"num_predict":5}}""", Encoding.UTF8, "application/json"),
        };

        var started = DateTime.UtcNow;
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        var firstAfter = DateTime.UtcNow - started;
        await reader.ReadToEndAsync();
        var totalAfter = DateTime.UtcNow - started;

        Assert.Contains("\"done\":false", first, StringComparison.Ordinal);
        Assert.True(totalAfter - firstAfter >= TimeSpan.FromMilliseconds(900), $"first chunk at {firstAfter}, end at {totalAfter}: the proxy must not buffer");
    }

    [Theory]
    [InlineData("/api/chat", """{"messages":[{"role":"user","content":"hi"}],"stream":false}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/api/generate", """{"model":"","prompt":"hi","stream":false}""")]
    public async Task Post_NoModel_UsesDefaultModel(string path, string body)
    {
        var response = await PostAsync(path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("llama3", _proxy.Ollama.Requests.Single().Body!["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("POST", "/api/pull")]
    [InlineData("POST", "/api/push")]
    [InlineData("POST", "/api/create")]
    [InlineData("POST", "/api/copy")]
    [InlineData("DELETE", "/api/delete")]
    [InlineData("POST", "/api/blobs/sha256:abc")]
    [InlineData("GET", "/api/ps")]
    public async Task ModelManagementRoute_AnyKey_Returns403AndForwardsNothing(string method, string path)
    {
        var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("not available through this proxy", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Theory]
    [InlineData("/nothing/here", "error")]
    [InlineData("/v1/assistants", "message")]
    public async Task UnknownPath_Returns404InTheStyleOfItsApi(string path, string field)
    {
        var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(field == "error" ? error.GetProperty("error").ValueKind == JsonValueKind.String : error.GetProperty("error").TryGetProperty("message", out _));
    }

    [Fact]
    public async Task KnownRoute_WrongMethod_Returns405()
    {
        var response = await _client.GetAsync("/api/chat");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body) =>
        _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
}
