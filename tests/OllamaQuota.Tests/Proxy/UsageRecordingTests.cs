using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Usage;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

public sealed class UsageRecordingSqliteTests() : UsageRecordingTests(DatabaseKind.Sqlite);

public sealed class UsageRecordingPostgresTests() : UsageRecordingTests(DatabaseKind.PostgreSql);

/// <summary>One usage event per request served, and roll-ups that match them, on both providers.</summary>
public abstract class UsageRecordingTests(DatabaseKind kind) : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(kind);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task ManyRequests_AfterFlush_OneEventEachAndRollupsMatch()
    {
        var (id, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);
        string[] paths = ["/api/chat", "/api/generate", "/v1/chat/completions", "/api/embed"];
        string[] bodies =
        [
            """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""",
            """{"model":"qwen","prompt":"hi"}""",
            """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":true}""",
            """{"model":"llama3","input":"hi"}""",
        ];

        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var response = await client.PostAsync(paths[i % 4], new StringContent(bodies[i % 4], Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
        }));

        var events = await _proxy.WaitForUsageAsync(40);
        Assert.Equal(40, events.Count);
        Assert.All(events, e => Assert.Equal((id, 200), (e.KeyId, e.StatusCode)));
        Assert.Equal(10, events.Count(e => e.Endpoint == "/api/embed" && e.PromptTokens == 7 && e.CompletionTokens == 0));
        await using var db = await _proxy.OpenDbAsync();
        var rollups = await db.UsageDaily.AsNoTracking().ToListAsync();
        Assert.Equal(40, rollups.Sum(r => r.Requests));
        Assert.Equal(events.Sum(e => (long)e.PromptTokens), rollups.Sum(r => r.PromptTokens));
        Assert.Equal(events.Sum(e => (long)e.CompletionTokens), rollups.Sum(r => r.CompletionTokens));
        Assert.Equal(10, rollups.Single(r => r.Model == "qwen").Requests);
    }

    [Fact]
    public async Task Requests_OllamaReportsDurations_StoredOnEventsAndSummedInRollups()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);
        (string Path, string Body)[] requests =
        [
            ("/api/chat", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}"""),
            ("/api/generate", """{"model":"qwen","prompt":"hi"}"""),
            ("/api/embed", """{"model":"minilm","input":"hi"}"""),
            ("/v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":true}"""),
            ("/api/chat", """{"model":"nocounts","messages":[{"role":"user","content":"hi"}]}"""),
        ];
        foreach (var (path, body) in requests)
        {
            using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }

        // Cut off before its final chunk: Ollama never said how long it took.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(
            "/api/generate", new StringContent("""{"model":"broken","prompt":"hi"}""", Encoding.UTF8, "application/json")));

        var events = await _proxy.WaitForUsageAsync(requests.Length + 1);
        var chat = events.Single(e => e.Model == "llama3" && e.Endpoint == "/api/chat");
        var generate = events.Single(e => e.Model == "qwen");
        Assert.All([chat, generate], e => Assert.Equal(
            (FakeOllama.TotalDurationNs(e.CompletionTokens), FakeOllama.LoadDurationNs, FakeOllama.PromptEvalDurationNs, e.CompletionTokens * FakeOllama.EvalDurationNsPerToken),
            (e.TotalDurationNs, e.LoadDurationNs, e.PromptEvalDurationNs, e.EvalDurationNs)));
        var embed = events.Single(e => e.Model == "minilm");
        Assert.Equal(
            (FakeOllama.EmbedTotalDurationNs, FakeOllama.LoadDurationNs, (long?)null, (long?)null),
            (embed.TotalDurationNs, embed.LoadDurationNs, embed.PromptEvalDurationNs, embed.EvalDurationNs));
        Assert.All(
            events.Where(e => e.Endpoint == "/v1/chat/completions" || e.Model is "nocounts" or "broken"),
            e => Assert.Equal(((long?)null, (long?)null, (long?)null, (long?)null), (e.TotalDurationNs, e.LoadDurationNs, e.PromptEvalDurationNs, e.EvalDurationNs)));

        await using var db = await _proxy.OpenDbAsync();
        var rollups = await db.UsageDaily.AsNoTracking().ToDictionaryAsync(r => r.Model);
        Assert.Equal(
            (2L, 1L, FakeOllama.PromptEvalDurationNs + chat.CompletionTokens * FakeOllama.EvalDurationNsPerToken),
            (rollups["llama3"].Requests, rollups["llama3"].TimedRequests, rollups["llama3"].GpuDurationNs));
        Assert.Equal(
            (chat.TotalDurationNs, chat.LoadDurationNs, chat.PromptEvalDurationNs, chat.EvalDurationNs),
            (rollups["llama3"].TotalDurationNs, rollups["llama3"].LoadDurationNs, rollups["llama3"].PromptEvalDurationNs, rollups["llama3"].EvalDurationNs));
        Assert.Equal(GpuTime.Of(generate), rollups["qwen"].GpuDurationNs);
        Assert.Equal((1L, FakeOllama.EmbedTotalDurationNs - FakeOllama.LoadDurationNs), (rollups["minilm"].TimedRequests, rollups["minilm"].GpuDurationNs));
        Assert.All([rollups["nocounts"], rollups["broken"]], r => Assert.Equal((0L, 0L, 0L), (r.TimedRequests, r.GpuDurationNs, r.TotalDurationNs)));
    }
}
