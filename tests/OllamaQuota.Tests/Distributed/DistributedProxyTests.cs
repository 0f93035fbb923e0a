using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>Two proxy instances sharing one Redis and one PostgreSQL: limits hold across both, usage is stored once.</summary>
public sealed class DistributedProxyTests : IAsyncLifetime
{
    private ProxyCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProxyCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task TwoInstances_200SimultaneousAgainstDailyRequests50_Exactly50ServedAndEachStoredOnce()
    {
        var (id, key) = await _cluster.CreateKeyAsync(new QuotaLimits(null, null, 50, null));
        using var first = _cluster.Proxies[0].ClientFor(key);
        using var second = _cluster.Proxies[1].ClientFor(key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ChatAsync(i % 2 == 0 ? first : second)));

        Assert.Equal(50, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(150, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Equal(50, _cluster.Ollama.Requests.Count);
        var stored = await _cluster.WaitForUsageAsync(50);
        Assert.Equal(50, stored.Count);
        Assert.Equal(0, await _cluster.StreamLengthAsync());
        await using var db = await _cluster.OpenDbAsync();
        Assert.Equal(50, await db.UsageDaily.Where(d => d.KeyId == id).SumAsync(d => d.Requests));
    }

    [Fact]
    public async Task TwoInstances_OllamasDurations_TravelThroughTheStreamIntoEventsAndRollups()
    {
        var (id, key) = await _cluster.CreateKeyAsync(new QuotaLimits(null, null, null, null));
        using var first = _cluster.Proxies[0].ClientFor(key);
        using var second = _cluster.Proxies[1].ClientFor(key);

        (await ChatAsync(first)).EnsureSuccessStatusCode();
        (await ChatAsync(second)).EnsureSuccessStatusCode();
        (await second.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var stored = await _cluster.WaitForUsageAsync(3);
        var native = stored.Where(e => e.Endpoint == "/api/chat").ToList();
        Assert.Equal(2, native.Count);
        Assert.All(native, e => Assert.Equal(
            (FakeOllama.TotalDurationNs(e.CompletionTokens), FakeOllama.LoadDurationNs, FakeOllama.PromptEvalDurationNs, e.CompletionTokens * FakeOllama.EvalDurationNsPerToken),
            (e.TotalDurationNs, e.LoadDurationNs, e.PromptEvalDurationNs, e.EvalDurationNs)));
        var openAi = stored.Single(e => e.Endpoint == "/v1/chat/completions");
        Assert.Null(openAi.TotalDurationNs ?? openAi.LoadDurationNs ?? openAi.PromptEvalDurationNs ?? openAi.EvalDurationNs);
        await using var db = await _cluster.OpenDbAsync();
        var rollup = await db.UsageDaily.SingleAsync(d => d.KeyId == id);
        Assert.Equal(
            (3L, 2L, native.Sum(e => FakeOllama.PromptEvalDurationNs + e.CompletionTokens * FakeOllama.EvalDurationNsPerToken)),
            (rollup.Requests, rollup.TimedRequests, rollup.GpuDurationNs));
    }

    [Fact]
    public async Task TwoInstances_ConcurrentStreamsAgainstDailyTokens_NeverExceededBeyondPromptEstimateError()
    {
        const int limit = 600;
        var (_, key) = await _cluster.CreateKeyAsync(new QuotaLimits(limit, null, null, null));
        using var first = _cluster.Proxies[0].ClientFor(key);
        using var second = _cluster.Proxies[1].ClientFor(key);
        const string body = """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":15}}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var response = await (i % 2 == 0 ? first : second).PostAsync("/api/chat", new StringContent(body, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
            return response;
        }));

        var served = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var used = (await _cluster.WaitForUsageAsync(served)).Sum(u => u.PromptTokens + u.CompletionTokens);
        Assert.InRange(served, 10, 59);
        Assert.True(used <= limit + (served * FakeOllama.PromptEvalCount), $"{served} served used {used} tokens against a limit of {limit}");
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
    }

    [Fact]
    public async Task RedisFlushAll_MidDay_CountersRebuiltFromPostgresAndExhaustedKeyStillRefused()
    {
        var (_, key) = await _cluster.CreateKeyAsync(new QuotaLimits(null, null, 3, null));
        using var first = _cluster.Proxies[0].ClientFor(key);
        using var second = _cluster.Proxies[1].ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(second)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(first)).StatusCode);
        await _cluster.WaitForUsageAsync(3);

        await _cluster.Database.ExecuteAsync("FLUSHALL");

        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(second)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(first)).StatusCode);
        Assert.Equal(3, _cluster.Ollama.Requests.Count);

        // The writers re-create the stream's group and keep storing usage.
        var (_, other) = await _cluster.CreateKeyAsync(QuotaLimits.Unlimited);
        using var otherClient = _cluster.Proxies[1].ClientFor(other);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(otherClient)).StatusCode);
        Assert.Equal(4, (await _cluster.WaitForUsageAsync(4)).Count);
    }

    [Fact]
    public async Task Reserve_CountersInRedis_LiveUnderTheKeysHashTagWithAnExpiry()
    {
        var (id, key) = await _cluster.CreateKeyAsync(new QuotaLimits(null, null, 10, null));
        using var client = _cluster.Proxies[0].ClientFor(key);

        await ChatAsync(client);

        // Settled (so its reservation is gone) once its usage event is stored.
        await _cluster.WaitForUsageAsync(1);
        var keys = ((string[])(await _cluster.Database.ExecuteAsync("KEYS", $"oq:{{k:{id}}}:*"))!).Order().ToList();
        Assert.Equal(2, keys.Count);
        Assert.Matches(@"^oq:\{k:[0-9a-f-]{36}\}:d:\d{4}-\d{2}-\d{2}$", keys[0]);
        Assert.Matches(@"^oq:\{k:[0-9a-f-]{36}\}:m:\d{4}-\d{2}$", keys[1]);
        foreach (var window in keys)
        {
            Assert.True(await _cluster.Database.KeyTimeToLiveAsync(window) > TimeSpan.Zero, $"{window} has no expiry");
        }

        Assert.Equal("1", (string?)await _cluster.Database.HashGetAsync(keys[0], "req"));
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
}
