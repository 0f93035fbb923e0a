using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// bench/fairshare.sh's load: key A floods the proxy with FLOOD parallel streams, back to back, while key B sends one
/// streamed request at a time (URL may name two proxy instances, "A's,B's", to put the keys on different instances) and times each to its first body byte (the first token: the proxy sends nothing before
/// Ollama's first chunk). B starts once A's flood has had a second to fill the queues and stops after SECONDS; then the
/// flood stops, and every request in flight is read to its end.
/// </summary>
public static class FairShareProbe
{
    public static async Task<int> RunAsync(string url, string floodKey, string probeKey, string bodyFile, double seconds, int flood)
    {
        var body = await File.ReadAllBytesAsync(bodyFile);
        var urls = url.Split(',');
        using var floodClient = Client(flood);
        using var probeClient = Client(1);
        using var stop = new CancellationTokenSource();
        var floodServed = 0;
        var floodFailed = 0;
        var floods = Enumerable.Range(0, flood).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, _) = await SendAsync(floodClient, urls[0], floodKey, body);
                Interlocked.Increment(ref status == HttpStatusCode.OK ? ref floodServed : ref floodFailed);
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var firstToken = new List<double>();
        var probeFailed = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var (status, first) = await SendAsync(probeClient, urls[^1], probeKey, body);
            if (status == HttpStatusCode.OK)
            {
                firstToken.Add(first.TotalMilliseconds);
            }
            else
            {
                probeFailed++;
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(floods);

        // One line for fairshare.sh: B's requests, its time to first token p50 / p99 / max (ms), B's failures, A's served
        // and failed requests.
        Console.WriteLine(firstToken.Count == 0
            ? $"0\t-\t-\t-\t{probeFailed}\t{floodServed}\t{floodFailed}"
            : $"{firstToken.Count}\t{FirstChunkProbe.Percentile(firstToken, 50):0}\t{FirstChunkProbe.Percentile(firstToken, 99):0}\t{firstToken.Max():0}\t{probeFailed}\t{floodServed}\t{floodFailed}");
        return firstToken.Count > 0 && probeFailed == 0 ? 0 : 1;
    }

    private static HttpMessageInvoker Client(int connections) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    });

    /// <summary>One streamed request read to its end: its status and the time to its first body byte.</summary>
    private static async Task<(HttpStatusCode Status, TimeSpan FirstByte)> SendAsync(HttpMessageInvoker client, string url, string key, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var buffer = new byte[16 * 1024];
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, CancellationToken.None);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var read = await stream.ReadAsync(buffer);
            var first = Stopwatch.GetElapsedTime(started);
            while (read > 0)
            {
                read = await stream.ReadAsync(buffer);
            }

            return (response.StatusCode, first);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (0, Stopwatch.GetElapsedTime(started));
        }
    }
}
