using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// The fake Ollama of the benchmarks: it answers from precomputed bytes so that it is never the bottleneck, and
// reads every request body to the end (as Ollama does) so that a 100 KB prompt costs the proxy its real transfer.
//   POST /api/chat                 "stream":false → one JSON body; otherwise CHUNKS NDJSON lines, the last done:true
//                                  with prompt_eval_count / eval_count
//   POST /v1/chat/completions      "stream":true → SSE: CHUNKS deltas, the usage chunk only if include_usage was
//                                  asked for, then data: [DONE]; otherwise one chat.completion with usage
//   GET  /api/version, /api/tags   for readiness checks
// A query ?gap_ms=N (forwarded by every proxy as it is) waits N ms after the first chunk of a stream, so that a
// time-to-first-chunk probe sees the first chunk apart from the rest; ?chunks=N streams N chunks instead of CHUNKS
// (bench/growth.sh's stream lengths through one set of proxies).
// Arguments: --port N (required), --chunks N (default 50). Each streamed chunk is written and flushed on its own,
// as Ollama flushes each token. For the fair-share benchmark, as one model on a GPU box: --parallel N answers at most N
// generations at once and queues the rest first come first served (Ollama's OLLAMA_NUM_PARALLEL and its queue), and
// --token-ms N waits N ms after each streamed chunk (the pace of generation). Both off by default.
var port = Argument("--port") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : throw new ArgumentException("--port is required");
var chunks = Argument("--chunks") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 50;
var tokenMs = Argument("--token-ms") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : 0;

// SemaphoreSlim releases its asynchronous waiters in the order they came.
using var slots = Argument("--parallel") is { } n ? new SemaphoreSlim(int.Parse(n, CultureInfo.InvariantCulture)) : null;

var payloads = new Payloads(chunks);
var payloadsByLength = new ConcurrentDictionary<int, Payloads>();
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
    kestrel.Listen(System.Net.IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
});

var app = builder.Build();
app.Run(async context =>
{
    if (slots is null || !HttpMethods.IsPost(context.Request.Method))
    {
        await Handle(context, PayloadsFor(context), tokenMs);
        return;
    }

    await slots.WaitAsync(context.RequestAborted);
    try
    {
        await Handle(context, PayloadsFor(context), tokenMs);
    }
    finally
    {
        slots.Release();
    }
});
Console.WriteLine($"fake upstream listening on 127.0.0.1:{port} ({chunks} chunks per stream{(slots is null ? "" : $", {slots.CurrentCount} at once")}{(tokenMs > 0 ? $", {tokenMs} ms a chunk" : "")})");
await app.RunAsync();

Payloads PayloadsFor(HttpContext context) =>
    context.Request.QueryString.HasValue && int.TryParse(context.Request.Query["chunks"], CultureInfo.InvariantCulture, out var length) && length > 0
        ? payloadsByLength.GetOrAdd(length, static n => new Payloads(n))
        : payloads;

static async Task Handle(HttpContext context, Payloads payloads, int tokenMs)
{
    var path = context.Request.Path.Value;
    var response = context.Response;
    switch (path)
    {
        case "/api/chat":
        {
            var flags = await ReadBodyAsync(context.Request);
            if ((flags & BodyFlags.StreamFalse) != 0)
            {
                await WriteWholeAsync(response, "application/json; charset=utf-8", payloads.ChatBody);
            }
            else
            {
                await WriteStreamAsync(response, "application/x-ndjson", payloads.ChatChunks, null, payloads.ChatDone, null, Gap(context), tokenMs);
            }

            return;
        }

        case "/v1/chat/completions":
        {
            var flags = await ReadBodyAsync(context.Request);
            if ((flags & BodyFlags.StreamTrue) != 0)
            {
                var usage = (flags & BodyFlags.IncludeUsage) != 0 ? payloads.SseUsage : null;
                await WriteStreamAsync(response, "text/event-stream", payloads.SseChunks, payloads.SseStop, usage, payloads.SseDone, Gap(context), tokenMs);
            }
            else
            {
                await WriteWholeAsync(response, "application/json", payloads.CompletionBody);
            }

            return;
        }

        case "/api/version":
            await WriteWholeAsync(response, "application/json; charset=utf-8", "{\"version\":\"0.12.3\"}"u8.ToArray());
            return;
        case "/api/tags":
            await WriteWholeAsync(response, "application/json; charset=utf-8", "{\"models\":[{\"name\":\"llama3:latest\",\"model\":\"llama3:latest\"}]}"u8.ToArray());
            return;
        default:
            response.StatusCode = 404;
            await WriteWholeAsync(response, "application/json; charset=utf-8", "{\"error\":\"not found\"}"u8.ToArray());
            return;
    }
}

static async Task WriteWholeAsync(HttpResponse response, string contentType, byte[] body)
{
    response.ContentType = contentType;
    response.ContentLength = body.Length;
    await response.BodyWriter.WriteAsync(body);
}

static int Gap(HttpContext context) =>
    context.Request.QueryString.HasValue && int.TryParse(context.Request.Query["gap_ms"], CultureInfo.InvariantCulture, out var gap) ? gap : 0;

static async Task WriteStreamAsync(HttpResponse response, string contentType, byte[][] chunks, byte[]? stop, byte[]? usage, byte[]? done, int gapMs, int tokenMs)
{
    response.ContentType = contentType;
    await response.StartAsync();
    for (var i = 0; i < chunks.Length; i++)
    {
        await response.BodyWriter.WriteAsync(chunks[i]);
        if (i == 0 && gapMs > 0)
        {
            await Task.Delay(gapMs);
        }

        if (tokenMs > 0)
        {
            await Task.Delay(tokenMs);
        }
    }

    foreach (var last in new[] { stop, usage, done })
    {
        if (last is not null)
        {
            await response.BodyWriter.WriteAsync(last);
        }
    }
}

// Drains the body and notes the few flags the fake answers to (the proxy writes compact JSON; clients may not).
static async Task<BodyFlags> ReadBodyAsync(HttpRequest request)
{
    var reader = request.BodyReader;
    byte[]? copy = null;
    var length = 0;
    try
    {
        while (true)
        {
            var result = await reader.ReadAsync();
            var buffer = result.Buffer;
            var needed = length + (int)buffer.Length;
            if (copy is null || copy.Length < needed)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
                if (copy is not null)
                {
                    copy.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(copy);
                }

                copy = bigger;
            }

            buffer.CopyTo(copy.AsSpan(length));
            length = needed;
            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        var body = copy.AsSpan(0, length);
        var flags = BodyFlags.None;
        if (body.IndexOf("\"stream\":false"u8) >= 0 || body.IndexOf("\"stream\": false"u8) >= 0)
        {
            flags |= BodyFlags.StreamFalse;
        }

        if (body.IndexOf("\"stream\":true"u8) >= 0 || body.IndexOf("\"stream\": true"u8) >= 0)
        {
            flags |= BodyFlags.StreamTrue;
        }

        if (body.IndexOf("\"include_usage\":true"u8) >= 0 || body.IndexOf("\"include_usage\": true"u8) >= 0)
        {
            flags |= BodyFlags.IncludeUsage;
        }

        return flags;
    }
    finally
    {
        if (copy is not null)
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

[Flags]
internal enum BodyFlags
{
    None = 0,
    StreamFalse = 1,
    StreamTrue = 2,
    IncludeUsage = 4,
}

/// <summary>Every response the fake sends, as bytes, built once at start.</summary>
internal sealed class Payloads
{
    private const string Created = "2026-11-22T04:00:00.000000000Z";
    private const int PromptEvalCount = 26;

    public Payloads(int chunks)
    {
        var words = Enumerable.Range(0, chunks).Select(i => i == 0 ? "Hello" : $" w{i}").ToArray();
        var text = string.Concat(words);

        ChatBody = Utf8(
            $"{{\"model\":\"llama3\",\"created_at\":\"{Created}\",\"message\":{{\"role\":\"assistant\",\"content\":\"{text}\"}},"
            + "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1000,\"load_duration\":10,"
            + $"\"prompt_eval_count\":{PromptEvalCount},\"prompt_eval_duration\":100,\"eval_count\":{chunks},\"eval_duration\":800}}");
        ChatChunks = words.Select(word => Utf8(
            $"{{\"model\":\"llama3\",\"created_at\":\"{Created}\",\"message\":{{\"role\":\"assistant\",\"content\":\"{word}\"}},\"done\":false}}\n")).ToArray();
        ChatDone = Utf8(
            $"{{\"model\":\"llama3\",\"created_at\":\"{Created}\",\"message\":{{\"role\":\"assistant\",\"content\":\"\"}},"
            + "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1000,\"load_duration\":10,"
            + $"\"prompt_eval_count\":{PromptEvalCount},\"prompt_eval_duration\":100,\"eval_count\":{chunks},\"eval_duration\":800}}\n");

        const string Head = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1795320000,\"model\":\"llama3\",\"system_fingerprint\":\"fp_ollama\",";
        SseChunks = words.Select((word, i) => Utf8(
            $"data: {Head}\"choices\":[{{\"index\":0,\"delta\":{{{(i == 0 ? "\"role\":\"assistant\"," : "")}\"content\":\"{word}\"}},\"finish_reason\":null}}]}}\n\n")).ToArray();
        SseStop = Utf8($"data: {Head}\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":\"stop\"}}]}}\n\n");
        SseUsage = Utf8(
            $"data: {Head}\"choices\":[],\"usage\":{{\"prompt_tokens\":{PromptEvalCount},\"completion_tokens\":{chunks},\"total_tokens\":{PromptEvalCount + chunks}}}}}\n\n");
        SseDone = "data: [DONE]\n\n"u8.ToArray();
        CompletionBody = Utf8(
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1795320000,\"model\":\"llama3\",\"system_fingerprint\":\"fp_ollama\","
            + $"\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":\"{text}\"}},\"finish_reason\":\"stop\"}}],"
            + $"\"usage\":{{\"prompt_tokens\":{PromptEvalCount},\"completion_tokens\":{chunks},\"total_tokens\":{PromptEvalCount + chunks}}}}}");
    }

    public byte[] ChatBody { get; }

    public byte[][] ChatChunks { get; }

    public byte[] ChatDone { get; }

    public byte[][] SseChunks { get; }

    public byte[] SseStop { get; }

    public byte[] SseUsage { get; }

    public byte[] SseDone { get; }

    public byte[] CompletionBody { get; }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
