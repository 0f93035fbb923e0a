using System.Buffers;
using System.Text;
using OllamaQuota.Core.Redis;

namespace OllamaQuota.Tests.Redis;

public sealed class RespReaderTests
{
    public static TheoryData<string, string> Replies => new()
    {
        { "+OK\r\n", "OK" },
        { "-ERR unknown command 'FOO'\r\n", "(error) ERR unknown command 'FOO'" },
        { ":-42\r\n", "(integer) -42" },
        { "$5\r\nhello\r\n", "\"hello\"" },
        { "$0\r\n\r\n", "\"\"" },
        { "$-1\r\n", "(nil)" },
        { "*-1\r\n", "(nil)" },
        { "*0\r\n", "[]" },
        { "*3\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+a\r\n$-1\r\n", "[(integer) 1, \"foo\", [a, (nil)]]" },
        { "$4\r\na\r\nb\r\n", "\"a\r\nb\"" },
        { "*2\r\n*1\r\n*0\r\n:7\r\n", "[[[]], (integer) 7]" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void TryRead_WholeReply_ParsesValue(string wire, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire));
        var reader = new RespReader();

        Assert.True(reader.TryRead(ref buffer, out var value));

        Assert.Equal(expected, value.ToString());
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void TryRead_FedByteByByte_CompletesOnlyOnLastByte(string wire, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(wire);
        var reader = new RespReader();

        for (var available = 0; available < bytes.Length; available++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, available);
            Assert.False(reader.TryRead(ref partial, out _), $"complete after {available} of {bytes.Length} bytes");
            Assert.Equal(available, partial.Length);
        }

        var whole = new ReadOnlySequence<byte>(bytes);
        Assert.True(reader.TryRead(ref whole, out var value));
        Assert.Equal(expected, value.ToString());
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void TryRead_OneSegmentPerByte_ParsesAcrossSegments(string wire, string expected)
    {
        var buffer = SegmentPerByte(Encoding.UTF8.GetBytes(wire));
        var reader = new RespReader();

        Assert.True(reader.TryRead(ref buffer, out var value));

        Assert.Equal(expected, value.ToString());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryRead_SeveralRepliesInOneBuffer_ReadsThemInOrderAndKeepsTheRest()
    {
        var buffer = new ReadOnlySequence<byte>("+OK\r\n:1\r\n$3\r\nabc\r\n$10\r\npart"u8.ToArray());
        var reader = new RespReader();

        Assert.True(reader.TryRead(ref buffer, out var first));
        Assert.True(reader.TryRead(ref buffer, out var second));
        Assert.True(reader.TryRead(ref buffer, out var third));
        Assert.False(reader.TryRead(ref buffer, out _));

        Assert.Equal("OK", first.AsString());
        Assert.Equal(1, second.AsInt64());
        Assert.Equal("abc", third.AsString());
        Assert.Equal("$10\r\npart", Encoding.ASCII.GetString(buffer.ToArray()));
    }

    [Fact]
    public void TryRead_LargeBulkStringInChunks_RoundTrips()
    {
        var payload = new byte[5 * 1024 * 1024];
        Random.Shared.NextBytes(payload);
        var wire = Encoding.ASCII.GetBytes($"${payload.Length}\r\n").Concat(payload).Concat("\r\n"u8.ToArray()).ToArray();
        var reader = new RespReader();

        RespValue value = default;
        var complete = false;
        for (var available = 0; available <= wire.Length && !complete; available = Math.Min(available + 65_536, wire.Length))
        {
            var partial = new ReadOnlySequence<byte>(wire, 0, available);
            complete = reader.TryRead(ref partial, out value);
            if (available == wire.Length)
            {
                break;
            }
        }

        Assert.True(complete);
        Assert.Equal(RespType.BulkString, value.Type);
        Assert.True(payload.AsSpan().SequenceEqual(value.AsBytes().Span));
    }

    [Theory]
    [InlineData("?oops\r\n")]
    [InlineData(":12a\r\n")]
    [InlineData("$-2\r\n")]
    [InlineData("$3\r\nabcXY")]
    [InlineData("*-5\r\n")]
    public void TryRead_InvalidReply_ThrowsProtocolException(string wire)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(wire));
        var reader = new RespReader();

        Assert.Throws<RedisProtocolException>(() => reader.TryRead(ref buffer, out _));
    }

    [Fact]
    public void AsInt64_BulkStringDigits_ParsesNumber()
    {
        Assert.Equal(1234, RespValue.BulkString("1234").AsInt64());
        Assert.Throws<InvalidCastException>(() => RespValue.BulkString("12x").AsInt64());
    }

    [Fact]
    public void AsArray_NullReply_IsEmpty()
    {
        Assert.Empty(RespValue.Null.AsArray());
        Assert.True(RespValue.Null.IsNull);
        Assert.Null(RespValue.Null.AsString());
    }

    private static ReadOnlySequence<byte> SegmentPerByte(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
