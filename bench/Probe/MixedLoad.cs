using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// bench/soak.sh's loader: requests across the proxies (round robin) in a fixed mix of streamed and non-streamed
/// answers (Ollama NDJSON, Ollama JSON, OpenAI SSE, OpenAI JSON), each read to its end and counted as served only when
/// its status is 2xx and its answer is whole. Closed loop with RATE 0 (CONCURRENCY requests back to back: the
/// saturation measure), otherwise open loop at RATE requests per second, each started on schedule whatever the
/// latency (at most CONCURRENCY in flight; a request due while all are busy is counted as late and skipped). When
/// SECONDS are up no new request starts and every one in flight is finished, so the count served is exact.
/// </summary>
public static class MixedLoad
{
    private static readonly (string Path, string Body, byte[] Whole)[] Mix =
    [
        ("/api/chat", "chat-stream.json", "\"done\":true"u8.ToArray()),
        ("/api/chat", "chat-small.json", "\"done\":true"u8.ToArray()),
        ("/v1/chat/completions", "sse.json", "data: [DONE]"u8.ToArray()),
        ("/v1/chat/completions", "openai.json", "\"usage\""u8.ToArray()),
    ];

    /// <param name="urls">The proxies' base URLs, comma-separated.</param>
    public static async Task<int> RunAsync(string urls, string key, string bodies, double seconds, double rate, int concurrency)
    {
        var targets = urls.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var payloads = Mix.Select(m => File.ReadAllBytes(Path.Combine(bodies, m.Body))).ToArray();
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        });
        var counts = new Counts(Mix.Length);
        var latencies = new List<double>();
        using var slots = new SemaphoreSlim(concurrency);
        var started = Stopwatch.GetTimestamp();
        var deadline = TimeSpan.FromSeconds(seconds);
        long issued = 0;

        async Task SendAsync(long n)
        {
            var kind = (int)(n % Mix.Length);
            var url = targets[(n / Mix.Length) % targets.Length] + Mix[kind].Path;
            var begun = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(payloads[kind]) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                using var response = await client.SendAsync(request, CancellationToken.None);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref counts.NotSuccess);
                }
                else if (body.AsSpan().IndexOf(Mix[kind].Whole) < 0)
                {
                    Interlocked.Increment(ref counts.Incomplete);
                }
                else
                {
                    Interlocked.Increment(ref counts.Served[kind]);
                    var elapsed = Stopwatch.GetElapsedTime(begun).TotalMilliseconds;
                    lock (latencies)
                    {
                        latencies.Add(elapsed);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                Interlocked.Increment(ref counts.Failed);
            }
            finally
            {
                slots.Release();
            }
        }

        var progress = TimeSpan.FromSeconds(60);
        if (rate <= 0)
        {
            // Closed loop: each slot sends its next request as soon as the last one is done.
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (Stopwatch.GetElapsedTime(started) < deadline)
                {
                    await slots.WaitAsync();
                    await SendAsync(Interlocked.Increment(ref issued) - 1);
                }
            })));
        }
        else
        {
            // Open loop: every millisecond or so, start whatever has fallen due since the last tick.
            while (Stopwatch.GetElapsedTime(started) is var elapsed && elapsed < deadline)
            {
                var due = (long)(elapsed.TotalSeconds * rate);
                for (; issued < due; issued++)
                {
                    if (slots.Wait(0))
                    {
                        _ = SendAsync(issued);
                    }
                    else
                    {
                        counts.Late++;
                    }
                }

                if (elapsed >= progress)
                {
                    Console.WriteLine($"PROGRESS seconds={elapsed.TotalSeconds:0} served={counts.TotalServed} late={counts.Late} failed={counts.Failed}");
                    progress += TimeSpan.FromSeconds(60);
                }

                await Task.Delay(1);
            }

            // Every request in flight is finished before the counts are final.
            for (var i = 0; i < concurrency; i++)
            {
                await slots.WaitAsync();
            }
        }

        var took = Stopwatch.GetElapsedTime(started).TotalSeconds;
        latencies.Sort();
        var served = counts.TotalServed;
        var byKind = string.Join(' ', Mix.Select((m, i) => $"{m.Body.Replace(".json", "", StringComparison.Ordinal)}={counts.Served[i]}"));
        Console.WriteLine(
            $"LOAD seconds={took:0.0} served={served} rps={served / took:0.0} not_2xx={counts.NotSuccess} incomplete={counts.Incomplete} " +
            $"failed={counts.Failed} late={counts.Late} p50_ms={Percentile(latencies, 50):0.00} p99_ms={Percentile(latencies, 99):0.00} {byKind}");
        return 0;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];

    private sealed class Counts(int kinds)
    {
        public readonly long[] Served = new long[kinds];
        public long NotSuccess;
        public long Incomplete;
        public long Failed;
        public long Late;

        public long TotalServed => Served.Sum();
    }
}
