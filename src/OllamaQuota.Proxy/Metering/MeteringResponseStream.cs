using System.Buffers;
using OllamaQuota.Proxy.Forwarding;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// The client's response body while YARP copies Ollama's response into it. Each chunk is metered (NDJSON passed on as
/// it is; SSE one whole event at a time, without the usage-only chunk the proxy asked for on the client's behalf; any
/// other body as one JSON value), then written and flushed at once, so the first token reaches the client as soon as
/// Ollama sends it: YARP's copy loop does not flush a response itself.
/// </summary>
/// <remarks>
/// The bytes that complete the answer (the <c>done: true</c> line, the SSE events from the <c>finish_reason</c> chunk to
/// <c>data: [DONE]</c>, the byte that closes a JSON body) are held back until <paramref name="beforeLastBytes"/> has
/// run: a client that holds its whole answer is a client whose usage has been recorded.
/// </remarks>
/// <param name="client">The response body this one stands in front of.</param>
/// <param name="meter">Watches the response (metered routes); null passes it through unread.</param>
/// <param name="mediaType">The response's media type: <c>application/x-ndjson</c> and <c>text/event-stream</c> are
/// streams; anything else is one body.</param>
/// <param name="dropUsageChunk">Removes the usage-only SSE chunk the proxy asked for on the client's behalf.</param>
/// <param name="onFirstChunk">Called as the first chunk arrives (time to first chunk).</param>
/// <param name="beforeLastBytes">Called once, when the answer is whole, before the bytes that complete it are written.
/// Not cancellable: what it settles is settled whether or not the client stays.</param>
public sealed class MeteringResponseStream(
    Stream client, ResponseMeter? meter, string? mediaType, bool dropUsageChunk, Action onFirstChunk, Func<Task>? beforeLastBytes) : ResponseBodyStream
{
    private const string Ndjson = "application/x-ndjson";
    private const string EventStream = "text/event-stream";

    private readonly NdjsonSplitter? _lines = meter is not null && mediaType == Ndjson ? new NdjsonSplitter(meter) : null;
    private readonly SseFilter? _events = meter is not null && mediaType == EventStream ? new SseFilter(meter, dropUsageChunk) : null;
    private readonly WholeBodyMeter? _body = meter is not null && mediaType is not (Ndjson or EventStream) ? new WholeBodyMeter(meter) : null;
    private readonly ArrayBufferWriter<byte> _eventsOut = new();
    private readonly ArrayBufferWriter<byte> _ending = new();
    private bool _started;
    private bool _whole;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            onFirstChunk();
        }

        if (_events is not null)
        {
            _events.Process(buffer.Span, _eventsOut, _ending);
            await WriteEventsAsync(_events.Done, cancellationToken);
            return;
        }

        var last = _lines?.Observe(buffer.Span) ?? _body?.Observe(buffer.Span) ?? -1;
        if (last < 0)
        {
            await WriteAndFlushAsync(buffer, cancellationToken);
            return;
        }

        // What precedes the held-back bytes in this chunk goes out with them, not before: one send instead of two for
        // the end of every answer (a non-streamed body's last chunk is all of it but its closing byte).
        await client.WriteAsync(buffer[..last], cancellationToken);
        await AnswerWholeAsync();
        await WriteAndFlushAsync(buffer[last..], cancellationToken);
    }

    /// <summary>
    /// After the last chunk: meters a last line that has no line end, or a body whose value never closed, and sends what
    /// the SSE filter still holds (a stream that ended without <c>data: [DONE]</c>). False when the client has gone.
    /// </summary>
    public override async Task<bool> CompleteAsync(CancellationToken cancellationToken)
    {
        _lines?.Complete();
        _body?.Complete();
        if (_events is null)
        {
            return true;
        }

        _events.Complete(_eventsOut, _ending);
        try
        {
            await WriteEventsAsync(_ending.WrittenCount > 0, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => client.FlushAsync(cancellationToken);

    public override void Flush() => client.Flush();

    /// <summary>
    /// Sends the events the filter passed; then, once the answer is whole, those of the stream's ending, in the same
    /// send (see <see cref="WriteAsync"/>).
    /// </summary>
    private async ValueTask WriteEventsAsync(bool whole, CancellationToken cancellationToken)
    {
        await WriteAsync(_eventsOut, cancellationToken);
        if (whole)
        {
            await AnswerWholeAsync();
        }

        if (_whole)
        {
            await WriteAsync(_ending, cancellationToken);
        }

        await client.FlushAsync(cancellationToken);
    }

    private async ValueTask WriteAsync(ArrayBufferWriter<byte> events, CancellationToken cancellationToken)
    {
        if (events.WrittenCount > 0)
        {
            await client.WriteAsync(events.WrittenMemory, cancellationToken);
            events.ResetWrittenCount();
        }
    }

    private async ValueTask AnswerWholeAsync()
    {
        if (_whole)
        {
            return;
        }

        _whole = true;
        if (beforeLastBytes is not null)
        {
            await beforeLastBytes();
        }
    }

    private async ValueTask WriteAndFlushAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        await client.WriteAsync(chunk, cancellationToken);
        await client.FlushAsync(cancellationToken);
    }
}
