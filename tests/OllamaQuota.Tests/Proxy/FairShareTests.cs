using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Keys;
using OllamaQuota.Proxy.Scheduling;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>
/// The fair share of a model's slots (embedded mode): who the fake Ollama hears from, in which order, and what waiting
/// requests are answered. A held slot is a generation whose response the fake keeps open (<see cref="FakeOllama.ResponseEnd"/>).
/// </summary>
public sealed class FairShareTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync()
    {
        _proxy = await ProxyHost.StartAsync();
        await _proxy.ChangeSettingsAsync(row => row.ModelSlots = """{"default":1}""");
    }

    public async Task DisposeAsync()
    {
        _gate.TrySetResult();
        await _proxy.DisposeAsync();
    }

    private int Waiting => _proxy.Services.GetRequiredService<InProcessModelSlots>().WaitingCount;

    [Fact]
    public async Task ModelSlots_KeyWith100QueuedAndKeyWith1_KeysTakeTurns()
    {
        using var blocker = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        using var flooder = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        using var single = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        var held = await HoldSlotAsync(blocker);

        var flood = Enumerable.Range(0, 100).Select(i => GenerateAsync(flooder, "llama3", $"flood {i}")).ToList();
        await WaitUntilAsync(() => Waiting == 100, "the flood to queue");
        var one = GenerateAsync(single, "llama3", "single");
        await WaitUntilAsync(() => Waiting == 101, "the single request to queue");
        _gate.SetResult();

        Assert.All(await Task.WhenAll(flood.Append(one).Append(held)), response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var prompts = _proxy.Ollama.Requests.Select(r => r.Body!["prompt"]!.GetValue<string>()).ToList();
        Assert.Equal(102, prompts.Count);

        // The blocker, then the flooder's first and the single key's only request: the next slot after one of the
        // flood's, not after all hundred.
        Assert.Equal("single", prompts[2]);
        Assert.StartsWith("flood", prompts[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/generate")]
    [InlineData("/v1/chat/completions")]
    public async Task ModelSlots_WaitRunsOut_503WithRetryAfterAndNothingCharged(string path)
    {
        await _proxy.ChangeSettingsAsync(row => row.QueueTimeoutSeconds = 1);
        using var blocker = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null))).Key);
        var held = await HoldSlotAsync(blocker);

        var body = path == "/api/generate"
            ? """{"model":"llama3","prompt":"hi","stream":false}"""
            : """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""";
        using var waited = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, waited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), waited.Headers.RetryAfter?.Delta);
        var error = (await waited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        var message = path == "/api/generate" ? error.GetString()! : error.GetProperty("message").GetString()!;
        Assert.Contains("is busy", message, StringComparison.Ordinal);
        if (path != "/api/generate")
        {
            Assert.Equal("model_busy", error.GetProperty("code").GetString());
        }

        Assert.Single(_proxy.Ollama.Requests);

        // Refunded: the key's one request a day is still there once the slot is free.
        _gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
        using var served = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var refused = (await _proxy.WaitForUsageAsync(3)).Single(e => e.StatusCode == 503);
        Assert.Equal((0, 0), (refused.PromptTokens, refused.CompletionTokens));
    }

    [Fact]
    public async Task ModelSlots_ClientLeavesWhileWaiting_LeavesQueueAtOnce()
    {
        using var blocker = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        var held = await HoldSlotAsync(blocker);

        using var leave = new CancellationTokenSource();
        var waiting = client.PostAsync("/api/generate", Json("""{"model":"llama3","prompt":"gone","stream":false}"""), leave.Token);
        await WaitUntilAsync(() => Waiting == 1, "the request to queue");
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        await WaitUntilAsync(() => Waiting == 0, "the request to leave the queue");
        _gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
        using var next = await GenerateAsync(client, "llama3", "next");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.DoesNotContain(_proxy.Ollama.Requests, r => r.Body!["prompt"]!.GetValue<string>() == "gone");
    }

    /// <summary>With one slot, a second request for the same model gets through only if the first gave its slot back.</summary>
    [Theory]
    [InlineData("llama3", true)]
    [InlineData("broken", true)]
    [InlineData("error", false)]
    [InlineData("slow", true)]
    public async Task ModelSlots_RequestEnds_SlotReleased(string model, bool stream)
    {
        _gate.SetResult();
        await _proxy.ChangeSettingsAsync(row => row.QueueTimeoutSeconds = 10);
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        var body = Json($$"""{"model":"{{model}}","prompt":"first","stream":{{(stream ? "true" : "false")}}}""");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/generate") { Content = body })
        using (var first = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            await using var content = await first.Content.ReadAsStreamAsync();
            if (model == "slow")
            {
                // The client leaves after the first chunk, mid-stream.
                Assert.True(await content.ReadAsync(new byte[64]) > 0);
            }
            else
            {
                await ReadToEndOrBreakAsync(content);
            }
        }

        using var second = await client.PostAsync("/api/generate", Json($$"""{"model":"{{model}}","prompt":"second","stream":false}"""));

        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains(_proxy.Ollama.Requests, r => r.Body!["prompt"]!.GetValue<string>() == "second");
    }

    [Fact]
    public async Task ModelSlots_AllTaken_ModelListAndOtherModelsNotHeldBack()
    {
        await _proxy.ChangeSettingsAsync(row => row.ModelSlots = """{"models":{"llama3":1}}""");
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        var held = await HoldSlotAsync(client);

        using var tags = await client.GetAsync("/api/tags");
        var other = GenerateAsync(client, "qwen2.5:0.5b", "unscheduled");
        await WaitUntilAsync(() => _proxy.Ollama.Requests.Count == 2, "the unscheduled model's request to reach Ollama");

        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        Assert.Equal(0, Waiting);
        _gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await other).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
    }

    /// <summary>A generation that holds the model's one slot until the gate opens; returns once Ollama has it.</summary>
    private async Task<Task<HttpResponseMessage>> HoldSlotAsync(HttpClient client)
    {
        _proxy.Ollama.ResponseEnd = _gate.Task;
        var before = _proxy.Ollama.Requests.Count;
        var held = GenerateAsync(client, "llama3", "blocker");
        await WaitUntilAsync(() => _proxy.Ollama.Requests.Count > before, "the blocker to reach Ollama");
        return held;
    }

    private static Task<HttpResponseMessage> GenerateAsync(HttpClient client, string model, string prompt) =>
        client.PostAsync("/api/generate", Json($$"""{"model":"{{model}}","prompt":"{{prompt}}","stream":false}"""));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task ReadToEndOrBreakAsync(Stream content)
    {
        try
        {
            await content.CopyToAsync(Stream.Null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The "broken" model's stream breaks off; that is the ending under test.
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), $"timed out waiting for {what}");
    }
}
