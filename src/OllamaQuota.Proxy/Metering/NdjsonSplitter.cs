using System.Buffers;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// Feeds the meter one line at a time from an Ollama NDJSON stream whose bytes are forwarded untouched; only a line
/// split across reads is copied. Finds the stream's final line: the <c>done: true</c> chunk, or an error.
/// </summary>
public sealed class NdjsonSplitter(ResponseMeter meter)
{
    private readonly ArrayBufferWriter<byte> _partial = new();
    private bool _final;

    /// <summary>
    /// Meters each line <paramref name="chunk"/> completes. Returns where in it the final line starts (0 when that line
    /// began in an earlier chunk), the first time one ends here; otherwise -1.
    /// </summary>
    public int Observe(ReadOnlySpan<byte> chunk)
    {
        var final = -1;
        var start = 0;
        int newline;
        while ((newline = chunk[start..].IndexOf((byte)'\n')) >= 0)
        {
            var line = chunk.Slice(start, newline);
            if (_partial.WrittenCount > 0)
            {
                _partial.Write(line);
                meter.ObserveDocument(_partial.WrittenMemory);
                _partial.ResetWrittenCount();
            }
            else
            {
                meter.ObserveDocument(line);
            }

            if (!_final && (meter.Finished || meter.StreamError is not null))
            {
                _final = true;
                final = start;
            }

            start += newline + 1;
        }

        // A read that ends on a line end leaves nothing to keep (writing nothing would still allocate the buffer).
        if (start < chunk.Length)
        {
            _partial.Write(chunk[start..]);
        }

        return final;
    }

    /// <summary>A last line without its line end.</summary>
    public void Complete()
    {
        meter.ObserveDocument(_partial.WrittenMemory);
        _partial.ResetWrittenCount();
    }
}
