using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Proxy.Scheduling;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>
/// Two proxy instances sharing a model's slots through Redis: the fake Ollama never answers more than the slots at once,
/// keys take turns across instances, a waiter that gives up leaves Redis's queue, and a dead instance's slot comes back.
/// </summary>
public sealed class FairShareDistributedTests : IAsyncLifetime
{
    private const string Queue = "oq:{s:llama3:latest}:queue";
    private const string Holders = "oq:{s:llama3:latest}:holders";

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProxyCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProxyCluster.StartAsync(settings: new Dictionary<string, string?>
    {
        [ModelSlotOptions.LeaseVariable] = "1000",
        [ModelSlotOptions.PollVariable] = "100",
    });

    public async Task DisposeAsync()
    {
        _gate.TrySetResult();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task TwoInstances_StreamsThroughBoth_NeverMoreThanSlotsAtOllama()
    {
        await SetAsync(row => row.ModelSlots = """{"default":2}""");
        _cluster.Ollama.ChunkDelay = TimeSpan.FromMilliseconds(5);
        var clients = new List<HttpClient>();
        foreach (var proxy in _cluster.Proxies)
        {
            clients.Add(proxy.ClientFor((await _cluster.CreateKeyAsync(QuotaLimits.Unlimited)).Key));
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            using var response = await clients[i % 2].PostAsync("/api/chat", Json("""{"model":"llama3","messages":[{"role":"user","content":"hi"}]}"""));
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, Whole: body.Contains("\"done\":true", StringComparison.Ordinal));
        }));

        clients.ForEach(client => client.Dispose());
        Assert.All(responses, r => Assert.Equal((HttpStatusCode.OK, true), r));
        Assert.InRange(_cluster.Ollama.MaxInFlight, 1, 2);
        Assert.Equal(0, await _cluster.Database.SortedSetLengthAsync(Holders));
    }

    [Fact]
    public async Task TwoInstances_KeyWith20QueuedOnOneAndKeyWith1OnTheOther_KeysTakeTurns()
    {
        await SetAsync(row => row.ModelSlots = """{"default":1}""");
        using var blocker = _cluster.Proxies[0].ClientFor((await _cluster.CreateKeyAsync(QuotaLimits.Unlimited)).Key);
        using var flooder = _cluster.Proxies[0].ClientFor((await _cluster.CreateKeyAsync(QuotaLimits.Unlimited)).Key);
        using var single = _cluster.Proxies[1].ClientFor((await _cluster.CreateKeyAsync(QuotaLimits.Unlimited)).Key);
        var held = await HoldSlotAsync(blocker);

        var flood = Enumerable.Range(0, 20).Select(i => GenerateAsync(flooder, $"flood {i}")).ToList();
        await WaitUntilAsync(async () => await _cluster.Database.SortedSetLengthAsync(Queue) == 20, "the flood to queue");
        var one = GenerateAsync(single, "single");
        await WaitUntilAsync(async () => await _cluster.Database.SortedSetLengthAsync(Queue) == 21, "the single request to queue");
        _gate.SetResult();

        Assert.All(await Task.WhenAll(flood.Append(one).Append(held)), response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var prompts = _cluster.Ollama.Requests.Select(r => r.Body!["prompt"]!.GetValue<string>()).ToList();
        Assert.Equal(22, prompts.Count);
        Assert.StartsWith("flood", prompts[1], StringComparison.Ordinal);
        Assert.Equal("single", prompts[2]);
    }

    [Fact]
    public async Task TwoInstances_WaitRunsOutOrClientLeaves_LeavesRedisQueue()
    {
        await SetAsync(row =>
        {
            row.ModelSlots = """{"default":1}""";
            row.QueueTimeoutSeconds = 1;
        });
        using var blocker = _cluster.Proxies[0].ClientFor((await _cluster.CreateKeyAsync(QuotaLimits.Unlimited)).Key);
        using var client = _cluster.Proxies[1].ClientFor((await _cluster.CreateKeyAsync(new QuotaLimits(null, null, 1, null))).Key);
        var held = await HoldSlotAsync(blocker);

        using var timedOut = await GenerateAsync(client, "late");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.NotNull(timedOut.Headers.RetryAfter);
        Assert.Equal(0, await _cluster.Database.SortedSetLengthAsync(Queue));

        await SetAsync(row => row.QueueTimeoutSeconds = 30);
        using var leave = new CancellationTokenSource();
        var waiting = client.PostAsync("/api/generate", Json("""{"model":"llama3","prompt":"gone","stream":false}"""), leave.Token);
        await WaitUntilAsync(async () => await _cluster.Database.SortedSetLengthAsync(Queue) == 1, "the request to queue");
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await WaitUntilAsync(async () => await _cluster.Database.SortedSetLengthAsync(Queue) == 0, "the request to leave the queue");

        // Neither was charged: the key's one request a day is served once the slot is free.
        _gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
        using var served = await GenerateAsync(client, "served");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.DoesNotContain(_cluster.Ollama.Requests, r => r.Body!["prompt"]!.GetValue<string>() is "late" or "gone");
    }

    [Fact]
    public async Task ModelSlot_HolderDiesWithoutReleasing_SlotComesBackAfterItsLease()
    {
        await SetAsync(row =>
        {
            row.ModelSlots = """{"default":1}""";
            row.QueueTimeoutSeconds = 30;
        });

        // An instance takes the one slot and dies: no release, no renewal, as after SIGKILL.
        await using (var dead = await _cluster.Redis.ConnectAsync())
        {
            var slots = new RedisModelSlots(
                dead, new InProcessModelSlots(TimeProvider.System), new RedisOutage(dead, NullLogger<RedisOutage>.Instance),
                Options.Create(new ModelSlotOptions { Lease = TimeSpan.FromSeconds(1) }), TimeProvider.System, NullLogger<RedisModelSlots>.Instance);
            Assert.NotNull(await slots.AcquireAsync("llama3:latest", Guid.NewGuid(), 1, TimeSpan.FromSeconds(1), CancellationToken.None));
        }

        Assert.Equal(1, await _cluster.Database.SortedSetLengthAsync(Holders));
        using var client = _cluster.Proxies[1].ClientFor((await _cluster.CreateKeyAsync(QuotaLimits.Unlimited)).Key);

        using var response = await GenerateAsync(client, "after the crash");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task SetAsync(Action<SettingsRow> change)
    {
        var revision = await _cluster.Proxies[0].ChangeSettingsAsync(change);
        foreach (var proxy in _cluster.Proxies.Skip(1))
        {
            await proxy.WaitForSettingsAsync(revision);
        }
    }

    private async Task<Task<HttpResponseMessage>> HoldSlotAsync(HttpClient client)
    {
        _cluster.Ollama.ResponseEnd = _gate.Task;
        var held = GenerateAsync(client, "blocker");
        await WaitUntilAsync(() => Task.FromResult(!_cluster.Ollama.Requests.IsEmpty), "the blocker to reach Ollama");
        return held;
    }

    private static Task<HttpResponseMessage> GenerateAsync(HttpClient client, string prompt) =>
        client.PostAsync("/api/generate", Json($$"""{"model":"llama3","prompt":"{{prompt}}","stream":false}"""));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(await condition(), $"timed out waiting for {what}");
    }
}
