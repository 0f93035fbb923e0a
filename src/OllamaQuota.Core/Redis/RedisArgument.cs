using System.Text;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// One argument of a command. Implicit conversions let callers write <c>["INCRBY", key, 5]</c>; a struct so a
/// collection expression of arguments lives on the stack.
/// </summary>
public readonly struct RedisArgument
{
    private readonly object? _reference;
    private readonly long _integer;
    private readonly double _double;

    private RedisArgument(Kind kind, object? reference, long integer, double number)
    {
        ArgumentKind = kind;
        _reference = reference;
        _integer = integer;
        _double = number;
    }

    internal enum Kind : byte
    {
        None = 0,
        String,
        Integer,
        Double,
        Bytes,
    }

    internal Kind ArgumentKind { get; }

    internal string String => (string)_reference!;

    internal long Int64 => _integer;

    internal double Double => _double;

    internal ReadOnlyMemory<byte> Bytes => _reference is byte[] array ? array : (ReadOnlyMemory<byte>)_reference!;

    public static implicit operator RedisArgument(string value) => FromString(value);

    public static implicit operator RedisArgument(long value) => FromInt64(value);

    public static implicit operator RedisArgument(int value) => FromInt64(value);

    public static implicit operator RedisArgument(double value) => FromDouble(value);

    public static implicit operator RedisArgument(byte[] value) => FromBytes(value);

    public static implicit operator RedisArgument(ReadOnlyMemory<byte> value) => FromBytes(value);

    public static RedisArgument FromString(string value)
    {
        // Redis has no null argument; failing here beats writing a half-serialised command.
        ArgumentNullException.ThrowIfNull(value);
        return new(Kind.String, value, 0, 0);
    }

    public static RedisArgument FromInt64(long value) => new(Kind.Integer, null, value, 0);

    public static RedisArgument FromDouble(double value)
    {
        if (double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Redis does not accept NaN.");
        }

        return new(Kind.Double, null, 0, value);
    }

    public static RedisArgument FromBytes(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(Kind.Bytes, value, 0, 0);
    }

    public static RedisArgument FromBytes(ReadOnlyMemory<byte> value) => new(Kind.Bytes, value, 0, 0);

    public override string ToString() => ArgumentKind switch
    {
        Kind.String => String,
        Kind.Integer => _integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Kind.Double => _double.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        Kind.Bytes => Encoding.UTF8.GetString(Bytes.Span),
        _ => string.Empty,
    };
}
