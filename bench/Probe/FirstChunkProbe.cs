using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// Time to first chunk: N sequential streamed requests over one kept-alive connection (after 20 to warm up), each
/// timed from the send to the first body byte read, and to the last. Sequential, so no queueing is measured: only
/// what a hop adds to one request.
/// </summary>
public static class FirstChunkProbe
{
    public static async Task<int> RunAsync(string url, string bodyFile, string key, int count)
    {
        var body = await File.ReadAllBytesAsync(bodyFile);
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 1,
        });
        var buffer = new byte[64 * 1024];
        var first = new List<double>(count);
        var last = new List<double>(count);
        var failures = 0;
        for (var i = 0; i < count + 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (key.Length > 0 && key != "-")
            {
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
            }

            var started = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request, CancellationToken.None);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var read = await stream.ReadAsync(buffer);
            var firstByte = Stopwatch.GetElapsedTime(started);
            while (read > 0)
            {
                read = await stream.ReadAsync(buffer);
            }

            var lastByte = Stopwatch.GetElapsedTime(started);
            if (!response.IsSuccessStatusCode)
            {
                failures++;
            }

            if (i >= 20)
            {
                first.Add(firstByte.TotalMicroseconds);
                last.Add(lastByte.TotalMicroseconds);
            }
        }

        // One line for run.sh: n, first-chunk p50 / p99 / mean, last-byte p50 (microseconds), failures.
        Console.WriteLine($"{count}\t{Percentile(first, 50):0}\t{Percentile(first, 99):0}\t{first.Average():0}\t{Percentile(last, 50):0}\t{failures}");
        return failures == 0 ? 0 : 1;
    }

    internal static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
