using System.Text;
using Microsoft.EntityFrameworkCore;
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
}
