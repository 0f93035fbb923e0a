using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>
/// Bodies refused at the edge, one case per class of fault: a 400 that names the problem, before anything is
/// reserved, forwarded or recorded. Bodies are bytes, because some of them are not valid UTF-8.
/// </summary>
public sealed class RequestValidationTests : IAsyncLifetime
{
    private static readonly Dictionary<string, (string Path, byte[] Body, string Message, string? Param)> Refused = new()
    {
        ["model of 1,000 characters"] = ("/api/chat", Utf8($$"""{"model":"{{new string('m', 1000)}}","messages":[]}"""), "'model' must be an Ollama model name", "model"),
        ["model of 1,000 characters (OpenAI)"] = ("/v1/chat/completions", Utf8($$"""{"model":"{{new string('m', 1000)}}","messages":[]}"""), "'model' must be an Ollama model name", "model"),
        ["model with a NUL"] = ("/api/generate", Utf8("""{"model":"llama3\u0000","prompt":"hi"}"""), "'model' must be an Ollama model name", "model"),
        ["model with a space"] = ("/api/generate", Utf8("""{"model":"llama 3","prompt":"hi"}"""), "'model' must be an Ollama model name", "model"),
        ["model that climbs paths"] = ("/api/embed", Utf8("""{"model":"../../etc/passwd","input":"hi"}"""), "'model' must be an Ollama model name", "model"),
        ["model part of 81 characters"] = ("/v1/embeddings", Utf8($$"""{"model":"{{new string('m', 81)}}","input":"hi"}"""), "'model' must be an Ollama model name", "model"),
        ["invalid UTF-8 in the prompt"] = ("/api/generate", [.. "{\"prompt\":\"a"u8, 0xFF, .. "\"}"u8], "not valid UTF-8", null),
        ["invalid UTF-8 in the model"] = ("/api/chat", [.. "{\"model\":\"ll"u8, 0xC3, .. "\",\"messages\":[]}"u8], "not valid UTF-8", null),
        ["invalid UTF-8 in a property name"] = ("/api/generate", [.. "{\"x"u8, 0x80, .. "\":1,\"prompt\":\"hi\"}"u8], "not valid UTF-8", null),
        ["invalid UTF-8 in a message (OpenAI)"] = ("/v1/chat/completions", [.. "{\"messages\":[{\"role\":\"user\",\"content\":\""u8, 0xF8, 0x88, .. "\"}]}"u8], "not valid UTF-8", null),
        ["overlong UTF-8"] = ("/api/generate", [.. "{\"prompt\":\""u8, 0xC0, 0xAF, .. "\"}"u8], "not valid UTF-8", null),
        ["UTF-8 encoded surrogate"] = ("/api/generate", [.. "{\"prompt\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8], "not valid UTF-8", null),
        ["lone high surrogate escape in the prompt"] = ("/api/generate", Utf8("""{"prompt":"a\ud800b"}"""), "lone surrogate", null),
        ["lone low surrogate escape in a message"] = ("/api/chat", Utf8("""{"messages":[{"role":"user","content":"\udc00"}]}"""), "lone surrogate", null),
        ["surrogates in the wrong order"] = ("/v1/completions", Utf8("""{"prompt":"\udc00\ud800"}"""), "lone surrogate", null),
        ["lone surrogate escape in a property name"] = ("/api/generate", Utf8("""{"\ud800":1,"prompt":"hi"}"""), "lone surrogate", null),
        ["lone surrogate escape in the model"] = ("/api/chat", Utf8("""{"model":"\ud800","messages":[]}"""), "lone surrogate", null),
        ["duplicate model"] = ("/api/chat", Utf8("""{"model":"llama3","messages":[],"model":"other"}"""), "Duplicate property 'model'", null),
        ["duplicate nested key"] = ("/api/generate", Utf8("""{"prompt":"hi","options":{"num_predict":1,"num_predict":99999}}"""), "Duplicate property 'num_predict'", null),
        ["nesting deeper than the limit"] = ("/api/generate", Utf8($$"""{"prompt":"hi","format":{{new string('[', 100)}}{{new string(']', 100)}}}"""), "depth", null),
        ["a JSON string"] = ("/api/generate", Utf8("\"hi\""), "must be a JSON object", null),
        ["a byte-order mark"] = ("/api/generate", [0xEF, 0xBB, 0xBF, .. "{\"prompt\":\"hi\"}"u8], "not valid JSON", null),
        ["num_predict beyond a long"] = ("/api/generate", Utf8("""{"prompt":"hi","options":{"num_predict":1e30}}"""), "'options.num_predict' must be a whole number", null),
        ["max_tokens beyond a long (OpenAI)"] = ("/v1/completions", Utf8("""{"prompt":"hi","max_tokens":99999999999999999999}"""), "'max_tokens' must be a whole number", "max_tokens"),
        ["stream as a string"] = ("/api/chat", Utf8("""{"messages":[],"stream":"false"}"""), "'stream' must be true or false", null),
    };

    private ProxyHost _proxy = null!;

    public static TheoryData<string> RefusedCases => [.. Refused.Keys];

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync();

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Theory]
    [MemberData(nameof(RefusedCases))]
    public async Task MalformedBody_Returns400NamingTheProblemAndChargesNothing(string name)
    {
        var (path, body, message, param) = Refused[name];
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);

        var response = await client.PostAsync(path, Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        if (path.StartsWith("/v1", StringComparison.Ordinal))
        {
            Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
        else
        {
            Assert.Contains(message, error.GetString(), StringComparison.Ordinal);
        }

        Assert.Empty(_proxy.Ollama.Requests);
        var ok = await client.PostAsync("/api/chat", Json(Utf8("""{"model":"llama3","messages":[],"stream":false}""")));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await _proxy.WaitForUsageAsync(1);
        await using var db = await _proxy.OpenDbAsync();
        Assert.Equal(["llama3"], await db.UsageEvents.Select(u => u.Model).ToListAsync());
    }

    [Theory]
    [InlineData("qwen2.5:0.5b")]
    [InlineData("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")]
    [InlineData("registry.ollama.ai/library/llama3:latest")]
    [InlineData("localhost:5000/team/model_x:v1.2")]
    [InlineData("llama3@sha256:8eeb52dfb3bb9aefdf9d1ef24b3bdbcfbe82238798c4b918278320b6fcef18fe")]
    public async Task OllamaModelName_IsForwardedAndRecordedAsSent(string model)
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);

        var response = await client.PostAsync("/api/generate", Json(Utf8($$"""{"model":"{{model}}","prompt":"hi","stream":false}""")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(model, Assert.Single(await _proxy.WaitForUsageAsync(1)).Model);
    }

    [Fact]
    public async Task EscapedTextThatIsValidUnicode_IsForwardedAsSent()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);

        // An escaped model name, a surrogate pair as escapes, an escaped NUL in the prompt: all valid Unicode text.
        var response = await client.PostAsync("/api/generate",
            Json(Utf8("""{"model":"ll\u0061ma3","prompt":"smile \ud83d\ude00 \u0000 \\ud800","stream":false}""")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, body, _, _) = Assert.Single(_proxy.Ollama.Requests);
        Assert.Equal("smile \U0001F600 \0 \\ud800", body!["prompt"]!.GetValue<string>());
        Assert.Equal("llama3", Assert.Single(await _proxy.WaitForUsageAsync(1)).Model);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return content;
    }
}
