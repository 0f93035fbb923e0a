using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>Two proxy instances on one Redis, one clock (frozen in the test's hands) and one fake Ollama.</summary>
public sealed class TwoInstancesOnOneClock : IAsyncLifetime
{
    // 2026-11-22 12:00 in Berlin (UTC+1).
    public ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 22, 11, 0, 0, TimeSpan.Zero));

    public ProxyCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ProxyCluster.StartAsync(clock: Clock);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Minute and hour windows and the in-flight limit across proxy instances: exact under 200 simultaneous requests, and
/// an in-flight slot is given back whatever ends its request — a settle, a cancelled stream, or the death of the
/// instance that held it (SIGKILL), once its lease runs out.
/// </summary>
public sealed class ShortWindowAndInFlightTests(TwoInstancesOnOneClock instances) : IClassFixture<TwoInstancesOnOneClock>
{
    private const string Chat = """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false,"options":{"num_predict":5}}""";

    private ProxyCluster Cluster => instances.Cluster;

    /// <summary>
    /// Every admitted request is held at Ollama until all 200 are decided, so none is settled meanwhile: for a token
    /// limit exactly <c>limit / reservation</c> pass, for the others exactly the limit.
    /// </summary>
    [Theory]
    [InlineData(QuotaLimitKind.RequestsPerMinute)]
    [InlineData(QuotaLimitKind.TokensPerMinute)]
    [InlineData(QuotaLimitKind.RequestsPerHour)]
    [InlineData(QuotaLimitKind.TokensPerHour)]
    [InlineData(QuotaLimitKind.MaxConcurrentRequests)]
    public async Task TwoInstances_200Simultaneous_ExactlyTheLimitServed(QuotaLimitKind kind)
    {
        const int served = 20;
        var amount = kind.IsTokens() ? served * await ReservedPerRequestAsync(kind) : served;
        var (_, key) = await Cluster.CreateKeyAsync(Only(kind, amount));
        using var first = Cluster.Proxies[0].ClientFor(key);
        using var second = Cluster.Proxies[1].ClientFor(key);
        var release = new TaskCompletionSource();
        Cluster.Ollama.ResponseStart = release.Task;
        var forwarded = Cluster.Ollama.Requests.Count;

        Task<HttpResponseMessage>[] responses;
        try
        {
            responses = [.. Enumerable.Range(0, 200).Select(i => PostAsync(i % 2 == 0 ? first : second, "/api/chat", Chat))];
            await WaitUntilAsync(() => Task.FromResult(responses.Count(r => r.IsCompleted) == 200 - served));
            await WaitUntilAsync(() => Task.FromResult(Cluster.Ollama.Requests.Count - forwarded == served));
        }
        finally
        {
            release.SetResult();
        }

        var answers = await Task.WhenAll(responses);
        Assert.Equal(served, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = answers.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
        Assert.Equal(200 - served, refused.Count);
        Assert.All(refused, r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
        var retryAfter = kind switch
        {
            QuotaLimitKind.MaxConcurrentRequests => TimeSpan.FromSeconds(1),
            _ when kind.Period() == QuotaPeriod.Minute => TimeSpan.FromMinutes(1),
            _ => TimeSpan.FromHours(1),
        };
        Assert.All(refused, r => Assert.Equal(retryAfter, r.Headers.RetryAfter?.Delta));
    }

    [Fact]
    public async Task MaxConcurrentRequests_StreamCancelledOnOneInstance_ItsSlotComesBackOnTheOther()
    {
        var (_, key) = await Cluster.CreateKeyAsync(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1));
        using var first = Cluster.Proxies[0].ClientFor(key);
        using var second = Cluster.Proxies[1].ClientFor(key);
        Cluster.Ollama.ChunkDelay = TimeSpan.FromMilliseconds(300);
        try
        {
            using var cancel = new CancellationTokenSource();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
            {
                Content = new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            using var streaming = await first.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var stream = await streaming.Content.ReadAsStreamAsync(cancel.Token);
            Assert.True(await stream.ReadAsync(new byte[1], cancel.Token) > 0);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(second, "/api/chat", Chat)).StatusCode);
            await cancel.CancelAsync();
        }
        finally
        {
            Cluster.Ollama.ChunkDelay = TimeSpan.Zero;
        }

        await WaitUntilAsync(async () => (await PostAsync(second, "/api/chat", Chat)).StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task MaxConcurrentRequests_InstanceKilledMidRequest_ItsSlotComesBackWhenTheLeaseRunsOut()
    {
        var (_, key) = await Cluster.CreateKeyAsync(new QuotaLimits(null, null, null, null, MaxConcurrentRequests: 1));
        var port = PostgresServer.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = Cluster.DatabaseUrl,
            ["REDIS_URL"] = Cluster.Redis.ConnectionString,
            ["PROXY_HOST"] = "127.0.0.1",
            ["PROXY_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            [RedisLedgerOptions.LeaseVariable] = "3",
        };
        using var doomed = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        doomed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var survivor = Cluster.Proxies[0].ClientFor(key);
        var release = new TaskCompletionSource();
        Cluster.Ollama.ResponseStart = release.Task;
        var forwarded = Cluster.Ollama.Requests.Count;
        using var process = StartProxy(environment);
        try
        {
            await WaitUntilAliveAsync(doomed, process);

            // 1. The doomed instance holds the key's only slot while Ollama holds its request.
            var held = PostAsync(doomed, "/api/chat", Chat);
            await WaitUntilAsync(() => Task.FromResult(Cluster.Ollama.Requests.Count > forwarded));
            var refused = await PostAsync(survivor, "/api/chat", Chat);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);

            // 2. SIGKILL: nothing settles, nothing renews; the lease runs out and the slot is the survivor's.
            process.Kill();
            await process.WaitForExitAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => held);
        }
        finally
        {
            release.SetResult();
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        await WaitUntilAsync(async () => (await PostAsync(survivor, "/api/chat", Chat)).StatusCode == HttpStatusCode.OK);
    }

    /// <summary>What one request of <see cref="Chat"/> reserves against a token limit, read from its headers.</summary>
    private async Task<long> ReservedPerRequestAsync(QuotaLimitKind kind)
    {
        var (_, key) = await Cluster.CreateKeyAsync(Only(kind, 1_000_000));
        using var client = Cluster.Proxies[0].ClientFor(key);
        var response = await PostAsync(client, "/api/chat", Chat);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return 1_000_000 - long.Parse(response.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), CultureInfo.InvariantCulture);
    }

    private static QuotaLimits Only(QuotaLimitKind kind, long amount) => kind switch
    {
        QuotaLimitKind.RequestsPerMinute => new QuotaLimits(null, null, null, null, RequestsPerMinute: amount),
        QuotaLimitKind.TokensPerMinute => new QuotaLimits(null, null, null, null, TokensPerMinute: amount),
        QuotaLimitKind.RequestsPerHour => new QuotaLimits(null, null, null, null, RequestsPerHour: amount),
        QuotaLimitKind.TokensPerHour => new QuotaLimits(null, null, null, null, TokensPerHour: amount),
        _ => new QuotaLimits(null, null, null, null, MaxConcurrentRequests: amount),
    };

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body)
    {
        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static Process StartProxy(Dictionary<string, string?> environment)
    {
        var process = ServiceProcess.Start("OllamaQuota.Proxy", ServiceProcess.NewWorkingDirectory(), environment);

        // Drained, or a full pipe would block the proxy's logging and with it the requests.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilAliveAsync(HttpClient client, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.False(process.HasExited, "the proxy process exited");
            try
            {
                if ((await client.GetAsync("/alive")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "the proxy did not come up within 30 s");
            await Task.Delay(100);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
