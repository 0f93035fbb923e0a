using System.Buffers;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// Passes an OpenAI server-sent-event stream through one whole event at a time, metering each event's data.
/// When the proxy (not the client) asked for <c>include_usage</c>, the usage-only chunk is read and then dropped,
/// so the client sees exactly the stream it asked for. The events that end the stream (the chunk with a
/// <c>finish_reason</c>, the usage chunk, <c>data: [DONE]</c>, and anything after the first of them) are set apart, to
/// be sent once the request's usage is recorded.
/// </summary>
public sealed class SseFilter(ResponseMeter meter, bool dropUsageChunk)
{
    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;

    // The start of an event that has not ended yet (it straddles reads); empty almost always, as Ollama writes and
    // flushes one whole event at a time. Complete events are metered and written straight from the read.
    private byte[] _pending = [];
    private int _pendingLength;
    private bool _ending;

    /// <summary>Whether <c>data: [DONE]</c> has gone past: the stream is over.</summary>
    public bool Done { get; private set; }

    /// <summary>
    /// Takes <paramref name="chunk"/>; writes every event it completes to <paramref name="output"/>, or to
    /// <paramref name="ending"/> once the stream's ending has begun.
    /// </summary>
    public void Process(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output, IBufferWriter<byte> ending)
    {
        if (_pendingLength == 0)
        {
            var consumed = WriteCompleteEvents(chunk, output, ending);
            Keep(chunk[consumed..]);
            return;
        }

        Keep(chunk);
        var done = WriteCompleteEvents(_pending.AsSpan(0, _pendingLength), output, ending);
        _pending.AsSpan(done, _pendingLength - done).CopyTo(_pending);
        _pendingLength -= done;
    }

    /// <summary>Whatever is left when the stream ends (an event without its blank line) goes out as it is.</summary>
    public void Complete(IBufferWriter<byte> output, IBufferWriter<byte> ending)
    {
        var rest = _pending.AsSpan(0, _pendingLength);
        if (!rest.IsEmpty && Forward(rest))
        {
            (_ending ? ending : output).Write(rest);
        }

        _pendingLength = 0;
    }

    /// <summary>Meters and writes each whole event at the start of <paramref name="events"/>; returns the bytes used.</summary>
    private int WriteCompleteEvents(ReadOnlySpan<byte> events, IBufferWriter<byte> output, IBufferWriter<byte> ending)
    {
        var consumed = 0;
        while (EventEnd(events[consumed..]) is var (length, separator) && length >= 0)
        {
            if (Forward(events.Slice(consumed, length)))
            {
                (_ending ? ending : output).Write(events.Slice(consumed, length + separator));
            }

            consumed += length + separator;
        }

        return consumed;
    }

    /// <summary>Appends to the unfinished event.</summary>
    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (_pending.Length - _pendingLength < bytes.Length)
        {
            Array.Resize(ref _pending, Math.Max(Math.Max(1024, _pending.Length * 2), _pendingLength + bytes.Length));
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    /// <summary>Meters an event, notes whether the stream's ending has begun, and says whether the client should see it.</summary>
    private bool Forward(ReadOnlySpan<byte> sseEvent)
    {
        var forward = true;
        foreach (var range in sseEvent.Split((byte)'\n'))
        {
            var line = sseEvent[range].TrimEnd((byte)'\r');
            if (!line.StartsWith(DataPrefix))
            {
                continue;
            }

            var data = line[DataPrefix.Length..].TrimStart((byte)' ');
            if (data.SequenceEqual("[DONE]"u8))
            {
                Done = _ending = true;
                continue;
            }

            var usageOnly = meter.ObserveDocument(data);
            _ending |= usageOnly || meter.Finished;
            if (usageOnly && dropUsageChunk)
            {
                forward = false;
            }
        }

        return forward;
    }

    /// <summary>The length of the first complete event and of its blank-line separator, or (-1, 0).</summary>
    private static (int Length, int Separator) EventEnd(ReadOnlySpan<byte> buffer)
    {
        var lf = buffer.IndexOf("\n\n"u8);
        var crlf = buffer.IndexOf("\r\n\r\n"u8);
        return (lf, crlf) switch
        {
            (< 0, < 0) => (-1, 0),
            (>= 0, < 0) => (lf, 2),
            (< 0, >= 0) => (crlf, 4),
            _ => lf < crlf ? (lf, 2) : (crlf, 4),
        };
    }
}
