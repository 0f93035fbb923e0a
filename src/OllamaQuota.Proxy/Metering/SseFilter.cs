using System.Buffers;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// Passes an OpenAI server-sent-event stream through one whole event at a time, metering each event's data.
/// When the proxy (not the client) asked for <c>include_usage</c>, the usage-only chunk is read and then dropped,
/// so the client sees exactly the stream it asked for.
/// </summary>
public sealed class SseFilter(ResponseMeter meter, bool dropUsageChunk)
{
    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;

    private readonly ArrayBufferWriter<byte> _pending = new();

    /// <summary>Appends <paramref name="chunk"/>; writes every event it completes to <paramref name="output"/>.</summary>
    public void Process(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        _pending.Write(chunk);
        var pending = _pending.WrittenSpan;
        var consumed = 0;
        while (EventEnd(pending[consumed..]) is var (length, separator) && length >= 0)
        {
            var whole = pending.Slice(consumed, length + separator);
            if (Forward(pending.Slice(consumed, length)))
            {
                output.Write(whole);
            }

            consumed += length + separator;
        }

        if (consumed > 0)
        {
            var rest = pending[consumed..].ToArray();
            _pending.Clear();
            _pending.Write(rest);
        }
    }

    /// <summary>Whatever is left when the stream ends (an event without its blank line) goes out as it is.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_pending.WrittenCount > 0 && Forward(_pending.WrittenSpan))
        {
            output.Write(_pending.WrittenSpan);
        }

        _pending.Clear();
    }

    /// <summary>Meters an event and says whether the client should see it.</summary>
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
                continue;
            }

            meter.ObserveDocument(data);
            if (dropUsageChunk && ResponseMeter.IsUsageOnlyChunk(data))
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
