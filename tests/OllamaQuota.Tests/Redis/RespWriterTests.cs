using System.Buffers;
using System.Text;
using OllamaQuota.Core.Redis;

namespace OllamaQuota.Tests.Redis;

public sealed class RespWriterTests
{
    [Fact]
    public void WriteCommand_MixedArguments_WritesArrayOfBulkStrings()
    {
        var output = new ArrayBufferWriter<byte>();

        RespWriter.WriteCommand(output, "EVALSHA", ["abc", 2, "k:{1}", -15L, 1.5, new byte[] { 0, 255 }, "é"]);

        var expected = "*8\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n2\r\n$5\r\nk:{1}\r\n$3\r\n-15\r\n$3\r\n1.5\r\n$2\r\n\0\u00ff\r\n$2\r\né\r\n";
        Assert.Equal(Encoding.Latin1.GetBytes(expected.Replace("é", "\u00c3\u00a9", StringComparison.Ordinal)), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void GetCommandLength_MatchesBytesWritten()
    {
        RedisArgument[] args = ["key", long.MinValue, double.PositiveInfinity, string.Empty, new string('x', 1000)];
        var output = new ArrayBufferWriter<byte>();

        RespWriter.WriteCommand(output, "SET", args);

        Assert.Equal(RespWriter.GetCommandLength("SET", args), output.WrittenCount);
        Assert.Contains("$4\r\n+inf\r\n", Encoding.ASCII.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void GetCommandLength_DefaultArgument_Throws()
    {
        Assert.Throws<ArgumentException>(() => RespWriter.GetCommandLength("GET", [default]));
    }
}
