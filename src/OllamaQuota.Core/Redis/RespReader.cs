using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// Incremental RESP2 parser. A reply is first scanned for completeness without allocating, and the scan resumes where
/// it stopped when more bytes arrive, so a 5 MB bulk string or a long array arriving in small reads costs O(n) overall.
/// Only a complete reply is materialised into a <see cref="RespValue"/>. One instance per connection (it keeps state).
/// </summary>
public sealed class RespReader
{
    /// <summary>Redis's own proto-max-bulk-len default; anything larger is a corrupt stream, not data.</summary>
    public const int MaxBulkLength = 512 * 1024 * 1024;

    private const int MaxDepth = 1024;

    private static readonly string Ok = "OK";
    private static readonly string Pong = "PONG";
    private static readonly string Queued = "QUEUED";

    // Resume state of the reply currently being scanned: bytes validated so far and, per open array, elements still missing.
    private long _scanned;
    private int[] _remaining = new int[8];
    private int _depth;

    /// <summary>
    /// Reads one complete reply from the start of <paramref name="buffer"/> and slices it off. Returns false when the
    /// reply is not complete yet; call again with the same start and more bytes appended.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out RespValue value)
    {
        if (!TryScan(buffer, out var frameLength))
        {
            value = default;
            return false;
        }

        var reader = new SequenceReader<byte>(buffer.Slice(0, frameLength));
        value = Materialize(ref reader);
        buffer = buffer.Slice(frameLength);
        Reset();
        return true;
    }

    /// <summary>Forgets a partially scanned reply, e.g. when the connection it came from is replaced.</summary>
    public void Reset()
    {
        _scanned = 0;
        _depth = 0;
    }

    private bool TryScan(in ReadOnlySequence<byte> buffer, out long frameLength)
    {
        frameLength = 0;
        var reader = new SequenceReader<byte>(buffer);
        reader.Advance(_scanned);
        while (true)
        {
            var elementStart = reader.Consumed;
            if (!reader.TryRead(out var prefix) || !reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
            {
                _scanned = elementStart;
                return false;
            }

            switch (prefix)
            {
                case (byte)'+':
                case (byte)'-':
                    break;
                case (byte)':':
                    ParseInteger(line);
                    break;
                case (byte)'$':
                {
                    var length = ParseLength(line, MaxBulkLength);
                    if (length >= 0)
                    {
                        if (reader.Remaining < length + 2L)
                        {
                            _scanned = elementStart;
                            return false;
                        }

                        reader.Advance(length);
                        ExpectCrlf(ref reader);
                    }

                    break;
                }

                case (byte)'*':
                {
                    var count = ParseLength(line, int.MaxValue);
                    if (count > 0)
                    {
                        Push(count);
                        continue;
                    }

                    break;
                }

                default:
                    throw new RedisProtocolException($"Unexpected RESP type byte 0x{prefix:X2} ('{(char)prefix}').");
            }

            // An element is complete: close every array it completes; the reply is done when none is left open.
            while (true)
            {
                if (_depth == 0)
                {
                    frameLength = reader.Consumed;
                    return true;
                }

                if (--_remaining[_depth - 1] > 0)
                {
                    break;
                }

                _depth--;
            }
        }
    }

    private void Push(int count)
    {
        if (_depth == MaxDepth)
        {
            throw new RedisProtocolException($"Reply nests arrays deeper than {MaxDepth} levels.");
        }

        if (_depth == _remaining.Length)
        {
            Array.Resize(ref _remaining, _depth * 2);
        }

        _remaining[_depth++] = count;
    }

    // The scan has validated the frame, so materialising can trust its structure.
    private static RespValue Materialize(ref SequenceReader<byte> reader)
    {
        reader.TryRead(out var prefix);
        reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8);
        switch (prefix)
        {
            case (byte)'+':
                return RespValue.SimpleString(GetSimpleString(line));
            case (byte)'-':
                return RespValue.Error(Encoding.UTF8.GetString(line));
            case (byte)':':
                return RespValue.Integer(ParseInteger(line));
            case (byte)'$':
            {
                var length = ParseLength(line, MaxBulkLength);
                if (length < 0)
                {
                    return RespValue.Null;
                }

                var bytes = length == 0 ? [] : new byte[length];
                reader.UnreadSequence.Slice(0, length).CopyTo(bytes);
                reader.Advance(length + 2);
                return RespValue.BulkString(bytes);
            }

            default:
            {
                var count = ParseLength(line, int.MaxValue);
                if (count < 0)
                {
                    return RespValue.Null;
                }

                var items = count == 0 ? [] : new RespValue[count];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = Materialize(ref reader);
                }

                return RespValue.Array(items);
            }
        }
    }

    private static string GetSimpleString(in ReadOnlySequence<byte> line)
    {
        // The common status replies are interned so "+OK" allocates nothing.
        if (line.IsSingleSegment)
        {
            var span = line.FirstSpan;
            if (span.SequenceEqual("OK"u8))
            {
                return Ok;
            }

            if (span.SequenceEqual("PONG"u8))
            {
                return Pong;
            }

            if (span.SequenceEqual("QUEUED"u8))
            {
                return Queued;
            }
        }

        return Encoding.UTF8.GetString(line);
    }

    private static void ExpectCrlf(ref SequenceReader<byte> reader)
    {
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new RedisProtocolException("Bulk string is not terminated by CRLF.");
        }
    }

    private static int ParseLength(in ReadOnlySequence<byte> line, int max)
    {
        var value = ParseInteger(line);
        if (value < -1 || value > max)
        {
            throw new RedisProtocolException($"Invalid RESP length {value}.");
        }

        return (int)value;
    }

    private static long ParseInteger(in ReadOnlySequence<byte> line)
    {
        Span<byte> copy = stackalloc byte[24];
        scoped ReadOnlySpan<byte> digits;
        if (line.IsSingleSegment)
        {
            digits = line.FirstSpan;
        }
        else if (line.Length <= copy.Length)
        {
            line.CopyTo(copy);
            digits = copy[..(int)line.Length];
        }
        else
        {
            throw new RedisProtocolException("RESP integer is too long.");
        }

        if (!Utf8Parser.TryParse(digits, out long value, out var consumed) || consumed != digits.Length)
        {
            throw new RedisProtocolException($"Invalid RESP integer '{Encoding.ASCII.GetString(digits)}'.");
        }

        return value;
    }
}
