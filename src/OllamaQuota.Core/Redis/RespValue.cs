using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// One reply from the server. A struct so that integer and null replies (the quota hot path) cost nothing on the heap.
/// </summary>
public readonly struct RespValue : IEquatable<RespValue>
{
    private readonly long _integer;

    // string for simple strings and errors, byte[] for bulk strings, RespValue[] for arrays.
    private readonly object? _payload;

    private RespValue(RespType type, long integer, object? payload)
    {
        Type = type;
        _integer = integer;
        _payload = payload;
    }

    public static RespValue Null => default;

    public RespType Type { get; }

    public bool IsNull => Type == RespType.Null;

    public bool IsError => Type == RespType.Error;

    /// <summary>The server's error text for an error reply, otherwise null.</summary>
    public string? ErrorMessage => Type == RespType.Error ? (string)_payload! : null;

    /// <summary>Number of elements of an array reply (0 for null).</summary>
    public int Length => Type switch
    {
        RespType.Array => ((RespValue[])_payload!).Length,
        RespType.BulkString => ((byte[])_payload!).Length,
        _ => 0,
    };

    public static RespValue SimpleString(string value) => new(RespType.SimpleString, 0, value);

    public static RespValue Error(string message) => new(RespType.Error, 0, message);

    public static RespValue Integer(long value) => new(RespType.Integer, value, null);

    public static RespValue BulkString(byte[] value) => new(RespType.BulkString, 0, value);

    public static RespValue BulkString(string value) => new(RespType.BulkString, 0, Encoding.UTF8.GetBytes(value));

    public static RespValue Array(RespValue[] items) => new(RespType.Array, 0, items);

    public long AsInt64()
    {
        switch (Type)
        {
            case RespType.Integer:
                return _integer;
            case RespType.BulkString when Utf8Parser.TryParse((byte[])_payload!, out long parsed, out var consumed)
                                           && consumed == ((byte[])_payload!).Length:
                return parsed;
            case RespType.SimpleString when long.TryParse((string)_payload!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            default:
                throw new InvalidCastException($"A {Type} reply cannot be read as an integer: {this}");
        }
    }

    /// <summary>Text of the reply; null for a null reply. Arrays are not text and throw.</summary>
    public string? AsString() => Type switch
    {
        RespType.Null => null,
        RespType.SimpleString or RespType.Error => (string)_payload!,
        RespType.BulkString => Encoding.UTF8.GetString((byte[])_payload!),
        RespType.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidCastException("An array reply cannot be read as a string."),
    };

    /// <summary>Raw bytes of a bulk string (empty for null), without decoding.</summary>
    public ReadOnlyMemory<byte> AsBytes() => Type switch
    {
        RespType.Null => ReadOnlyMemory<byte>.Empty,
        RespType.BulkString => (byte[])_payload!,
        RespType.SimpleString or RespType.Error => Encoding.UTF8.GetBytes((string)_payload!),
        _ => throw new InvalidCastException($"A {Type} reply cannot be read as bytes."),
    };

    /// <summary>Elements of an array reply; a null reply gives an empty array so callers can iterate without a check.</summary>
    public RespValue[] AsArray() => Type switch
    {
        RespType.Array => (RespValue[])_payload!,
        RespType.Null => [],
        _ => throw new InvalidCastException($"A {Type} reply is not an array: {this}"),
    };

    public RespValue this[int index] => AsArray()[index];

    /// <summary>True when this is a bulk or simple string equal to <paramref name="ascii"/>, compared without allocating.</summary>
    public bool IsText(ReadOnlySpan<byte> ascii) => Type switch
    {
        RespType.BulkString => ((byte[])_payload!).AsSpan().SequenceEqual(ascii),
        RespType.SimpleString => Ascii.Equals(ascii, (string)_payload!),
        _ => false,
    };

    public bool Equals(RespValue other)
    {
        if (Type != other.Type)
        {
            return false;
        }

        return Type switch
        {
            RespType.Null => true,
            RespType.Integer => _integer == other._integer,
            RespType.SimpleString or RespType.Error => string.Equals((string)_payload!, (string)other._payload!, StringComparison.Ordinal),
            RespType.BulkString => ((byte[])_payload!).AsSpan().SequenceEqual((byte[])other._payload!),
            RespType.Array => ((RespValue[])_payload!).AsSpan().SequenceEqual((RespValue[])other._payload!),
            _ => false,
        };
    }

    public override bool Equals(object? obj) => obj is RespValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, _integer, Length);

    public static bool operator ==(RespValue left, RespValue right) => left.Equals(right);

    public static bool operator !=(RespValue left, RespValue right) => !left.Equals(right);

    public override string ToString() => Type switch
    {
        RespType.Null => "(nil)",
        RespType.Integer => $"(integer) {_integer.ToString(CultureInfo.InvariantCulture)}",
        RespType.Error => $"(error) {(string)_payload!}",
        RespType.SimpleString => (string)_payload!,
        RespType.BulkString => Length > 256 ? $"\"{Encoding.UTF8.GetString((byte[])_payload!, 0, 256)}…\" ({Length} bytes)" : $"\"{AsString()}\"",
        RespType.Array => $"[{string.Join(", ", (RespValue[])_payload!)}]",
        _ => Type.ToString(),
    };
}
