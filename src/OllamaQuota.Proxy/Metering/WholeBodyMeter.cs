using System.Buffers;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// A response that is not a stream (a non-streamed answer, an embedding, an error): collected until its top-level JSON
/// value ends, which is when the answer is whole, and metered then as one document. A body that does not start with
/// an object or an array is passed over: there is nothing in it to meter.
/// </summary>
public sealed class WholeBodyMeter(ResponseMeter meter)
{
    private static readonly SearchValues<byte> Structural = SearchValues.Create("{}[]\""u8);
    private static readonly SearchValues<byte> StringEnd = SearchValues.Create("\"\\"u8);

    private readonly ArrayBufferWriter<byte> _body = new();
    private int _depth;
    private bool _started;
    private bool _inString;
    private bool _escaped;
    private bool _done;

    /// <summary>
    /// Takes the next part of the body. Returns where in it the byte that closes the JSON value is, if this part has it;
    /// otherwise -1.
    /// </summary>
    public int Observe(ReadOnlySpan<byte> chunk)
    {
        if (_done)
        {
            return -1;
        }

        var end = FindEnd(chunk);
        if (_done)
        {
            return -1;
        }

        _body.Write(end < 0 ? chunk : chunk[..(end + 1)]);
        if (end >= 0)
        {
            Complete();
        }

        return end;
    }

    /// <summary>Meters what was collected, if it has not been (a body that ended before its value did).</summary>
    public void Complete()
    {
        if (!_done)
        {
            _done = true;
            meter.ObserveDocument(_body.WrittenMemory);
        }
    }

    /// <summary>The index of the byte that closes the top-level value, or -1; sets <c>_done</c> for a body that is no object or array.</summary>
    private int FindEnd(ReadOnlySpan<byte> chunk)
    {
        var i = 0;
        if (!_started)
        {
            i = chunk.IndexOfAnyExcept(" \t\r\n"u8);
            if (i < 0)
            {
                return -1;
            }

            if (chunk[i] is not ((byte)'{' or (byte)'['))
            {
                _done = true;
                return -1;
            }

            _started = true;
            _depth = 1;
            i++;
        }

        while (i < chunk.Length)
        {
            if (_escaped)
            {
                _escaped = false;
                i++;
                continue;
            }

            var next = chunk[i..].IndexOfAny(_inString ? StringEnd : Structural);
            if (next < 0)
            {
                return -1;
            }

            i += next;
            switch (chunk[i])
            {
                case (byte)'\\':
                    _escaped = true;
                    break;
                case (byte)'"':
                    _inString = !_inString;
                    break;
                case (byte)'{' or (byte)'[':
                    _depth++;
                    break;
                default:
                    if (--_depth == 0)
                    {
                        return i;
                    }

                    break;
            }

            i++;
        }

        return -1;
    }
}
