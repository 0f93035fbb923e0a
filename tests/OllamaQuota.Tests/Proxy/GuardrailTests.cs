using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Proxy.Settings;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>The admin's guardrails, each shown by what the fake Ollama received (or that it received nothing).</summary>
public sealed class GuardrailTests : IAsyncLifetime
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
    [InlineData("\"1h\"")]
    [InlineData("3600")]
    [InlineData("-1")]
    [InlineData("\"-1m\"")]
    public async Task KeepAlive_LongerThanMaximumOrForever_ClampedToMaximum(string keepAlive)
    {
        await SetAsync(row => row.MaxKeepAliveSeconds = 600);

        var sent = await ForwardedAsync("/api/generate", $$"""{"model":"llama3","prompt":"hi","stream":false,"keep_alive":{{keepAlive}}}""");

        Assert.Equal(600, sent["keep_alive"]!.GetValue<long>());
        Assert.Equal("hi", sent["prompt"]!.GetValue<string>());
    }

    [Fact]
    public async Task KeepAlive_WithinMaximum_SentAsItCame()
    {
        await SetAsync(row => row.MaxKeepAliveSeconds = 600);

        var sent = await ForwardedAsync("/api/chat", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false,"keep_alive":"5m"}""");

        Assert.Equal("5m", sent["keep_alive"]!.GetValue<string>());
    }

    [Fact]
    public async Task KeepAlive_NoMaximum_ForeverSentAsItCame()
    {
        var sent = await ForwardedAsync("/api/generate", """{"model":"llama3","prompt":"hi","stream":false,"keep_alive":-1}""");

        Assert.Equal(-1, sent["keep_alive"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("\"0\"")]
    [InlineData("\"0s\"")]
    [InlineData("0.5")]
    public async Task KeepAlive_Zero_Refused403AndNothingForwarded(string keepAlive)
    {
        var response = await PostAsync("/api/generate", $$"""{"model":"llama3","keep_alive":{{keepAlive}}}""");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("may not unload", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Theory]
    [InlineData("\"5 minutes\"")]
    [InlineData("true")]
    [InlineData("\"5\"")]
    public async Task KeepAlive_NotADuration_Returns400NamingIt(string keepAlive)
    {
        var response = await PostAsync("/api/embed", $$"""{"model":"llama3","input":"x","keep_alive":{{keepAlive}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'keep_alive'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Theory]
    [InlineData("""{"num_ctx":32768,"temperature":0.2}""", 8192)]
    [InlineData("""{"num_ctx":2048}""", 2048)]
    public async Task NumCtx_DefaultMaximum_LargerClampedSmallerKept(string options, long expected)
    {
        await SetAsync(row => row.NumCtxRules = """{"default":{"max":8192}}""");

        var sent = await ForwardedAsync("/api/generate", $$"""{"model":"llama3","prompt":"hi","stream":false,"options":{{options}}}""");

        Assert.Equal(expected, sent["options"]!["num_ctx"]!.GetValue<long>());
    }

    [Fact]
    public async Task NumCtx_MaximumAndNoneAsked_NoneSent()
    {
        await SetAsync(row => row.NumCtxRules = """{"default":{"max":8192}}""");

        var sent = await ForwardedAsync("/api/generate", """{"model":"llama3","prompt":"hi","stream":false}""");

        Assert.Null(sent["options"]);
    }

    [Theory]
    [InlineData("qwen2.5:0.5b", """{"num_ctx":32768}""", 2048)]
    [InlineData("qwen2.5:0.5b", "null", 2048)]
    [InlineData("llama3", """{"num_ctx":32768}""", 4096)]
    [InlineData("mistral", """{"num_ctx":32768}""", 8192)]
    public async Task NumCtx_PerModelRule_MostSpecificApplies(string model, string options, long expected)
    {
        await SetAsync(row => row.NumCtxRules = """{"default":{"max":8192},"models":{"qwen2.5:*":{"fixed":2048},"llama3":{"max":4096}}}""");

        var sent = await ForwardedAsync("/api/chat", $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":false,"options":{{options}}}""");

        Assert.Equal(expected, sent["options"]!["num_ctx"]!.GetValue<long>());
    }

    [Fact]
    public async Task NumCtx_NotANumberWhereARuleApplies_Returns400()
    {
        await SetAsync(row => row.NumCtxRules = """{"default":{"max":8192}}""");

        var response = await PostAsync("/api/generate", """{"model":"llama3","prompt":"hi","options":{"num_ctx":"big"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Theory]
    [InlineData("/api/generate", """ "prompt":"hi" """)]
    [InlineData("/api/chat", """ "messages":[{"role":"user","content":"hi"}] """)]
    [InlineData("/api/embed", """ "input":"hi" """)]
    public async Task LoadTimeOptions_AnyKey_DroppedAndOtherOptionsKept(string path, string fields)
    {
        var sent = await ForwardedAsync(path, $$$"""
            {"model":"llama3",{{{fields}}},"stream":false,"options":{"num_gpu":99,"temperature":0.1,"main_gpu":1,"use_mlock":true,
             "use_mmap":false,"num_thread":64,"low_vram":true,"numa":true,"seed":7}}
            """);

        var options = sent["options"]!.AsObject();
        Assert.Equal(["temperature", "seed"], options.Select(o => o.Key));
        Assert.Equal(0.1, options["temperature"]!.GetValue<double>());
    }

    [Fact]
    public async Task Guardrails_WithQuotaAllowance_AllChangesInOneOptionsObject()
    {
        await SetAsync(row => row.NumCtxRules = """{"default":{"fixed":4096}}""");
        using var limited = _proxy.ClientFor((await _proxy.CreateKeyAsync(new QuotaLimits(100, null, null, null))).Key);

        var response = await limited.PostAsync("/api/generate", Json("""{"model":"llama3","prompt":"hi","stream":false,"options":{"num_gpu":1,"top_k":5}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var options = _proxy.Ollama.Requests.Single().Body!["options"]!.AsObject();
        Assert.Equal(["top_k", "num_predict", "num_ctx"], options.Select(o => o.Key));
        Assert.Equal(4096, options["num_ctx"]!.GetValue<long>());
        Assert.True(options["num_predict"]!.GetValue<long>() <= 100);
    }

    [Fact]
    public async Task Images_MoreThanAllowed_Returns400NamingTheLimitAndForwardsNothing()
    {
        await SetAsync(row => row.MaxImagesPerRequest = 2);

        var response = await PostAsync("/api/generate", """{"model":"llama3","prompt":"what is this?","images":["aGk=","aGk=","aGk="]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 2", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Fact]
    public async Task Images_WithinLimits_ForwardedUnchanged()
    {
        await SetAsync(row => (row.MaxImagesPerRequest, row.MaxImageBytes) = (2, 8));

        var sent = await ForwardedAsync("/api/chat", """
            {"model":"llama3","stream":false,"messages":[{"role":"user","content":"a","images":["aGk="]},{"role":"user","content":"b","images":["aGVsbG8="]}]}
            """);

        Assert.Equal("aGVsbG8=", sent["messages"]![1]!["images"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Images_AcrossChatMessagesMoreThanAllowed_Returns400()
    {
        await SetAsync(row => row.MaxImagesPerRequest = 1);

        var response = await PostAsync("/api/chat", """
            {"model":"llama3","messages":[{"role":"user","content":"a","images":["aGk="]},{"role":"user","content":"b","images":["aGk="]}]}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Fact]
    public async Task Images_LargerThanAllowed_Returns400NamingTheImage()
    {
        await SetAsync(row => row.MaxImageBytes = 8);

        var response = await PostAsync("/api/generate", """{"model":"llama3","prompt":"?","images":["aGk=","aGVsbG8gd29ybGQ="]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Image 2 is 16 bytes", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Fact]
    public async Task Images_OpenAiDataUrlLargerThanAllowed_Returns400InOpenAiStyle()
    {
        await SetAsync(row => row.MaxImageBytes = 8);

        var response = await PostAsync("/v1/chat/completions", """
            {"model":"llama3","messages":[{"role":"user","content":[{"type":"text","text":"?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,aGVsbG8gd29ybGQ="}}]}]}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("messages", error.GetProperty("param").GetString());
        Assert.Contains("16 bytes", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Fact]
    public async Task Images_OpenAiDataUrlWithinLimit_ForwardedUnchanged()
    {
        await SetAsync(row => (row.MaxImagesPerRequest, row.MaxImageBytes) = (1, 8));

        var sent = await ForwardedAsync("/v1/chat/completions", """
            {"model":"llama3","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,aGk="}}]}]}
            """);

        Assert.Equal("data:image/png;base64,aGk=", sent["messages"]![0]!["content"]![0]!["image_url"]!["url"]!.GetValue<string>());
    }

    /// <summary>Changes the settings row as the Admin would, and waits until the proxy has loaded the change.</summary>
    private Task SetAsync(Action<SettingsRow> change) => _proxy.ChangeSettingsAsync(change);

    private async Task<JsonObject> ForwardedAsync(string path, string body)
    {
        var response = await PostAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return _proxy.Ollama.Requests.Single().Body!;
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body) => _client.PostAsync(path, Json(body));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
