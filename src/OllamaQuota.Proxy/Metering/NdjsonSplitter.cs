using System.Buffers;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// Feeds the meter one line at a time from an Ollama NDJSON stream (or one whole JSON body) whose bytes are
/// forwarded untouched; only a line split across reads is copied.
/// </summary>
public sealed class NdjsonSplitter(ResponseMeter meter)
{
    private readonly ArrayBufferWriter<byte> _partial = new();

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        int newline;
        while ((newline = chunk.IndexOf((byte)'\n')) >= 0)
        {
            if (_partial.WrittenCount > 0)
            {
                _partial.Write(chunk[..newline]);
                meter.ObserveDocument(_partial.WrittenSpan);
                _partial.ResetWrittenCount();
            }
            else
            {
                meter.ObserveDocument(chunk[..newline]);
            }

            chunk = chunk[(newline + 1)..];
        }

        // A read that ends on a line end leaves nothing to keep (writing nothing would still allocate the buffer).
        if (!chunk.IsEmpty)
        {
            _partial.Write(chunk);
        }
    }

    /// <summary>The last line (a non-streamed body usually has no trailing newline).</summary>
    public void Complete()
    {
        meter.ObserveDocument(_partial.WrittenSpan);
        _partial.ResetWrittenCount();
    }
}
