using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>A proxy process killed with SIGKILL mid-load: every request it served still reaches PostgreSQL, exactly once.</summary>
public sealed class CrashTests
{
    private const string Proxy = "OllamaQuota.Proxy";

    [Fact]
    public async Task ProxyProcess_KilledUnderLoadAndRestarted_EveryServedRequestStoredExactlyOnce()
    {
        await using var backing = await Backing.StartAsync();
        var (redis, ollama, databaseUrl, environment, cwd) = (backing.Redis, backing.Ollama, backing.DatabaseUrl, backing.Environment, backing.WorkingDirectory);
        ollama.ChunkDelay = TimeSpan.FromMilliseconds(2);
        using var client = backing.Client(TimeSpan.FromSeconds(10));

        // 1. Serve a load, and kill the process while requests are in flight.
        var served = new ConcurrentBag<int>();
        using (var first = StartProxy(cwd, environment))
        {
            using var stop = new CancellationTokenSource();
            var load = new List<Task>();
            try
            {
                await WaitUntilAliveAsync(client, first);
                var next = -1;
                load.AddRange(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var request = Interlocked.Increment(ref next);
                        if (await ServeAsync(client, request))
                        {
                            served.Add(request);
                        }
                    }
                })));
                var loadDeadline = DateTime.UtcNow.AddSeconds(30);
                while (served.Count < 60 && DateTime.UtcNow < loadDeadline)
                {
                    await Task.Delay(10);
                }
            }
            finally
            {
                first.Kill();
                await first.WaitForExitAsync();
                await stop.CancelAsync();
                await Task.WhenAll(load);
            }

            Assert.True(served.Count >= 60, $"only {served.Count} requests were served before the kill");
        }

        // 2. Restart it: it claims what the dead process read but never acknowledged, and reads the rest.
        using var second = StartProxy(cwd, environment);
        try
        {
            await WaitUntilAliveAsync(client, second);
            await using var redisClient = await redis.ConnectAsync();
            var models = served.Select(Model).ToHashSet();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            List<string> stored;
            while (true)
            {
                await using var db = await TestDatabases.OpenAsync(databaseUrl);
                stored = await db.UsageEvents.Select(e => e.Model).ToListAsync();
                var drained = await redisClient.GetDatabase().StreamLengthAsync("oq:usage") == 0;
                if ((models.IsSubsetOf(stored) && drained) || DateTime.UtcNow > deadline)
                {
                    break;
                }

                await Task.Delay(100);
            }

            // Requests cut off by the kill may or may not have been recorded; none twice, and every served one exactly once.
            Assert.Empty(stored.GroupBy(m => m).Where(g => g.Count() > 1).Select(g => g.Key));
            Assert.Empty(models.Except(stored));
            await using var check = await TestDatabases.OpenAsync(databaseUrl);
            Assert.Equal(stored.Count, await check.UsageDaily.SumAsync(d => d.Requests));
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    /// <summary>
    /// The fault 7: clients that return as soon as they hold their whole answer (an NDJSON stream's done:true
    /// line, an SSE stream's [DONE], the end of a JSON body), then the proxy is killed with SIGKILL at once, while
    /// Ollama still holds every response open. Each of those answers is billed: its usage event was in the Redis stream
    /// before its last byte left the proxy, and the restarted proxy stores it.
    /// </summary>
    [Fact]
    public async Task ProxyProcess_KilledTheMomentClientsHoldTheirAnswers_EveryAnswerStored()
    {
        await using var backing = await Backing.StartAsync();
        var (ollama, databaseUrl, environment, cwd) = (backing.Ollama, backing.DatabaseUrl, backing.Environment, backing.WorkingDirectory);
        using var client = backing.Client(TimeSpan.FromSeconds(30));
        (string Path, string Body)[] answers =
        [
            ("/api/chat", """{"model":"M","messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/chat/completions", """{"model":"M","messages":[{"role":"user","content":"hi"}],"stream":true}"""),
            ("/api/generate", """{"model":"M","prompt":"hi","stream":false}"""),
        ];
        var models = Enumerable.Range(0, 2 * answers.Length).Select(i => $"answer-{i}").ToArray();

        // 1. Every client reads until it holds its answer; then the proxy dies at once.
        var end = new TaskCompletionSource();
        ollama.ResponseEnd = end.Task;
        using (var first = StartProxy(cwd, environment))
        {
            var responses = new List<HttpResponseMessage>();
            try
            {
                await WaitUntilAliveAsync(client, first);
                responses.AddRange(await Task.WhenAll(models.Select(async (model, i) =>
                {
                    var (path, body) = answers[i % answers.Length];
                    using var request = new HttpRequestMessage(HttpMethod.Post, path)
                    {
                        Content = new StringContent(body.Replace("\"M\"", $"\"{model}\"", StringComparison.Ordinal), Encoding.UTF8, "application/json"),
                    };
                    var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await AnswerReader.ReadUntilAnswerAsync(response, CancellationToken.None);
                    return response;
                })));
            }
            finally
            {
                first.Kill();
                await first.WaitForExitAsync();
                end.SetResult();
                responses.ForEach(r => r.Dispose());
            }
        }

        // 2. Restarted, it claims what the dead process had read and stores the rest.
        using var second = StartProxy(cwd, environment);
        try
        {
            await WaitUntilAliveAsync(client, second);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            List<string> stored;
            do
            {
                await Task.Delay(100);
                await using var db = await TestDatabases.OpenAsync(databaseUrl);
                stored = await db.UsageEvents.Select(e => e.Model).ToListAsync();
            }
            while (!models.ToHashSet().IsSubsetOf(stored) && DateTime.UtcNow < deadline);

            Assert.Empty(models.Except(stored));
            Assert.Equal(models.Length, stored.Count);
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    private static string Model(int request) => $"crash-{request}";

    /// <summary>What a proxy process of these tests runs against: Redis, PostgreSQL with one unlimited key, a fake Ollama.</summary>
    private sealed class Backing : IAsyncDisposable
    {
        private readonly int _port;
        private readonly string _key;

        private Backing(RedisServerFixture redis, FakeOllama ollama, string databaseUrl, int port, string key)
        {
            (Redis, Ollama, DatabaseUrl, _port, _key) = (redis, ollama, databaseUrl, port, key);
            Environment = new Dictionary<string, string?>
            {
                ["DATABASE_URL"] = databaseUrl,
                ["REDIS_URL"] = redis.ConnectionString,
                ["PROXY_HOST"] = "127.0.0.1",
                ["PROXY_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["USAGE_CLAIM_IDLE_MS"] = "1000",
            };
        }

        public RedisServerFixture Redis { get; }

        public FakeOllama Ollama { get; }

        public string DatabaseUrl { get; }

        public Dictionary<string, string?> Environment { get; }

        public string WorkingDirectory { get; } = ServiceProcess.NewWorkingDirectory();

        public static async Task<Backing> StartAsync()
        {
            var redis = await RedisServerFixture.StartAsync();
            var ollama = await FakeOllama.StartAsync();
            var databaseUrl = await TestDatabases.CreateInitializedAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["OLLAMA_URL"] = ollama.Url });
            var (record, key) = ApiKeyFactory.Create("crash", QuotaLimits.Unlimited, null, DateTime.UtcNow);
            await using (var db = await TestDatabases.OpenAsync(databaseUrl))
            {
                db.ApiKeys.Add(record);
                await db.SaveChangesAsync();
            }

            return new Backing(redis, ollama, databaseUrl, PostgresServer.FreePort(), key);
        }

        /// <summary>A client of the proxy process, with the key.</summary>
        public HttpClient Client(TimeSpan timeout)
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = timeout };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _key);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await Ollama.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }

    private static Process StartProxy(string cwd, Dictionary<string, string?> environment)
    {
        var process = ServiceProcess.Start(Proxy, cwd, environment);

        // Drained, or a full pipe would block the proxy's logging and with it the requests.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>True when the whole streamed response arrived: the usage event is appended before the stream ends.</summary>
    private static async Task<bool> ServeAsync(HttpClient client, int request)
    {
        try
        {
            using var response = await client.PostAsync("/api/chat", new StringContent(
                $$"""{"model":"{{Model(request)}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode && body.Contains("\"done\":true", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAliveAsync(HttpClient client, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.False(process.HasExited, $"the proxy exited with code {(process.HasExited ? process.ExitCode : 0)}");
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
}
