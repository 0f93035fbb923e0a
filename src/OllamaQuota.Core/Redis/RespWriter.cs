using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// Serialises commands as RESP arrays of bulk strings. The exact length is computed first so a command is written
/// in one piece into a pooled span (pipe segment or rented array) and never half-written if something throws.
/// </summary>
public static class RespWriter
{
    private const int MaxNumberLength = 32;

    public static int GetCommandLength(string command, ReadOnlySpan<RedisArgument> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var length = HeaderLength(args.Length + 1) + BulkLength(Encoding.UTF8.GetByteCount(command));
        foreach (ref readonly var arg in args)
        {
            length += BulkLength(PayloadLength(arg));
        }

        return length;
    }

    /// <summary>Writes the command into <paramref name="destination"/>, which must hold <see cref="GetCommandLength"/> bytes.</summary>
    public static int WriteCommand(Span<byte> destination, string command, ReadOnlySpan<RedisArgument> args)
    {
        var written = WriteHeader(destination, (byte)'*', args.Length + 1);
        written += WriteBulk(destination[written..], command);
        foreach (ref readonly var arg in args)
        {
            written += WriteArgument(destination[written..], arg);
        }

        return written;
    }

    public static void WriteCommand(IBufferWriter<byte> output, string command, ReadOnlySpan<RedisArgument> args)
    {
        ArgumentNullException.ThrowIfNull(output);
        var length = GetCommandLength(command, args);
        var written = WriteCommand(output.GetSpan(length), command, args);
        output.Advance(written);
    }

    private static int HeaderLength(long count) => 1 + DigitCount(count) + 2;

    private static int BulkLength(int payloadLength) => HeaderLength(payloadLength) + payloadLength + 2;

    private static int PayloadLength(in RedisArgument arg) => arg.ArgumentKind switch
    {
        RedisArgument.Kind.String => Encoding.UTF8.GetByteCount(arg.String),
        RedisArgument.Kind.Integer => DigitCount(arg.Int64),
        RedisArgument.Kind.Double => FormatDouble(arg.Double, stackalloc byte[MaxNumberLength]),
        RedisArgument.Kind.Bytes => arg.Bytes.Length,
        _ => throw new ArgumentException("A default(RedisArgument) cannot be sent; Redis has no null argument.", nameof(arg)),
    };

    private static int WriteArgument(Span<byte> destination, in RedisArgument arg)
    {
        switch (arg.ArgumentKind)
        {
            case RedisArgument.Kind.String:
                return WriteBulk(destination, arg.String);
            case RedisArgument.Kind.Integer:
            {
                Span<byte> digits = stackalloc byte[MaxNumberLength];
                Utf8Formatter.TryFormat(arg.Int64, digits, out var length);
                return WriteBulk(destination, digits[..length]);
            }

            case RedisArgument.Kind.Double:
            {
                Span<byte> digits = stackalloc byte[MaxNumberLength];
                var length = FormatDouble(arg.Double, digits);
                return WriteBulk(destination, digits[..length]);
            }

            default:
                return WriteBulk(destination, arg.Bytes.Span);
        }
    }

    private static int WriteBulk(Span<byte> destination, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var written = WriteHeader(destination, (byte)'$', byteCount);
        written += Encoding.UTF8.GetBytes(value, destination[written..]);
        return written + WriteCrlf(destination[written..]);
    }

    private static int WriteBulk(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        var written = WriteHeader(destination, (byte)'$', value.Length);
        value.CopyTo(destination[written..]);
        written += value.Length;
        return written + WriteCrlf(destination[written..]);
    }

    private static int WriteHeader(Span<byte> destination, byte prefix, long count)
    {
        destination[0] = prefix;
        Utf8Formatter.TryFormat(count, destination[1..], out var digits);
        return 1 + digits + WriteCrlf(destination[(1 + digits)..]);
    }

    private static int WriteCrlf(Span<byte> destination)
    {
        destination[0] = (byte)'\r';
        destination[1] = (byte)'\n';
        return 2;
    }

    private static int DigitCount(long value)
    {
        Span<byte> digits = stackalloc byte[MaxNumberLength];
        Utf8Formatter.TryFormat(value, digits, out var length);
        return length;
    }

    private static int FormatDouble(double value, Span<byte> destination)
    {
        // Redis spells infinities its own way; "R" keeps every finite value round-trippable.
        ReadOnlySpan<byte> special = double.IsPositiveInfinity(value) ? "+inf"u8 : double.IsNegativeInfinity(value) ? "-inf"u8 : default;
        if (!special.IsEmpty)
        {
            special.CopyTo(destination);
            return special.Length;
        }

        value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture);
        return written;
    }
}
