using System.Buffers;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// The client's response body while YARP copies Ollama's response into it. Each chunk is metered (NDJSON passed on as
/// it is; SSE one whole event at a time, without the usage-only chunk the proxy asked for on the client's behalf), then
/// written and flushed at once, so the first token reaches the client as soon as Ollama sends it: YARP's copy loop does
/// not flush a response itself.
/// </summary>
/// <param name="client">The response body this one stands in front of.</param>
/// <param name="meter">Watches the response (metered routes); null passes it through unread.</param>
/// <param name="sse">Whether the response is a server-sent-event stream.</param>
/// <param name="onFirstChunk">Called as the first chunk arrives (time to first chunk).</param>
public sealed class MeteringResponseStream(Stream client, ResponseMeter? meter, bool sse, bool dropUsageChunk, Action onFirstChunk) : Stream
{
    private readonly NdjsonSplitter? _lines = meter is not null && !sse ? new NdjsonSplitter(meter) : null;
    private readonly SseFilter? _events = meter is not null && sse ? new SseFilter(meter, dropUsageChunk) : null;
    private readonly ArrayBufferWriter<byte> _eventsOut = new();
    private bool _started;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            onFirstChunk();
        }

        if (_events is null)
        {
            _lines?.Observe(buffer.Span);
            await WriteAndFlushAsync(buffer, cancellationToken);
            return;
        }

        _events.Process(buffer.Span, _eventsOut);
        await WriteAndFlushAsync(_eventsOut.WrittenMemory, cancellationToken);
        _eventsOut.ResetWrittenCount();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// After the last chunk: meters a last line that has no line end (a non-streamed body) and sends what the SSE filter
    /// still holds. False when the client has gone.
    /// </summary>
    public async Task<bool> CompleteAsync(CancellationToken cancellationToken)
    {
        _lines?.Complete();
        if (_events is null)
        {
            return true;
        }

        _events.Complete(_eventsOut);
        try
        {
            await WriteAndFlushAsync(_eventsOut.WrittenMemory, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => client.FlushAsync(cancellationToken);

    public override void Flush() => client.Flush();

    // Metering happens on the asynchronous path only; Kestrel refuses synchronous writes anyway.
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

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
