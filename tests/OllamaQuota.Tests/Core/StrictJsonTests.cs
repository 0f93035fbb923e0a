using System.Text;
using OllamaQuota.Core.Hosting;

namespace OllamaQuota.Tests.Core;

public sealed class StrictJsonTests
{
    [Theory]
    [InlineData("""{"a":"plain"}""")]
    [InlineData("""{"a":"\ud83d\ude00 \uD834\uDD1E pairs"}""")]
    [InlineData("""{"a":"\\ud800 is an escaped backslash, then text"}""")]
    [InlineData("""{"a":"\\\ud83d\ude00"}""")]
    [InlineData("""{"a":"\u0000\u00e9\uFFFD"}""")]
    [InlineData("""{"a":{"b":1},"c":{"b":2}}""")]
    [InlineData("[1,2]")]
    [InlineData("\"just a string\"")]
    public void Parse_ValidText_ReturnsTheDocument(string json)
    {
        var (document, error) = StrictJson.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Null(error);
        using (document)
        {
            Assert.NotNull(document);
        }
    }

    [Theory]
    [InlineData("""{"a":"\ud800"}""", "lone surrogate", 6)]
    [InlineData("""{"a":"x\uDFFF"}""", "lone surrogate", 7)]
    [InlineData("""{"a":"\udc00\ud800"}""", "lone surrogate", 6)]
    [InlineData("""{"a":"\ud800\ud800\udc00"}""", "lone surrogate", 6)]
    [InlineData("""{"a":"\ud800","b":"\udc00"}""", "lone surrogate", 6)]
    [InlineData("""{"\ud83d":1}""", "lone surrogate", 2)]
    [InlineData("""{"a":"\\\ud800"}""", "lone surrogate", 8)]
    [InlineData("""{"a":{"b\udfff":1,"b":2}}""", "lone surrogate", 8)]
    [InlineData("""{"a":1,"a":2}""", "Duplicate property 'a'", null)]
    [InlineData("""{"a":1,"\u0061":2}""", "Duplicate property 'a'", null)]
    [InlineData("""{"a":"x" """, "not valid JSON", null)]
    [InlineData("", "not valid JSON", null)]
    [InlineData("""{"a":"\""", "not valid JSON", null)]
    [InlineData("""{"a":"\u12""", "not valid JSON", null)]
    [InlineData("""{"a":"\ud800\u""", "lone surrogate", 6)]
    [InlineData("""\ud800""", "lone surrogate", 0)]
    public void Parse_InvalidText_SaysWhy(string json, string message, int? at)
    {
        var (document, error) = StrictJson.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Null(document);
        Assert.Contains(message, error, StringComparison.Ordinal);
        if (at is not null)
        {
            Assert.Contains($"at byte {at}", error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D }, 6)]
    [InlineData(new byte[] { 0x22, 0xC3, 0x22 }, 1)]
    [InlineData(new byte[] { 0x22, 0xC0, 0xAF, 0x22 }, 1)]
    [InlineData(new byte[] { 0x22, 0xED, 0xA0, 0x80, 0x22 }, 1)]
    [InlineData(new byte[] { 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22 }, 1)]
    [InlineData(new byte[] { 0x22, 0xC3, 0xA9, 0xE2, 0x82 }, 3)]
    public void Parse_InvalidUtf8_SaysWhereBeforeParsing(byte[] body, int at)
    {
        var (document, error) = StrictJson.Parse(body);

        Assert.Null(document);
        Assert.Equal($"The body is not valid UTF-8 (at byte {at}).", error);
    }

    [Fact]
    public void Parse_NestedToTheLimit_ReturnsTheDocumentAndOneDeeperIsRefused()
    {
        var atLimit = new string('[', StrictJson.MaxDepth) + new string(']', StrictJson.MaxDepth);
        var deeper = "[" + atLimit + "]";

        using (var document = StrictJson.Parse(Encoding.UTF8.GetBytes(atLimit)).Document)
        {
            Assert.NotNull(document);
        }

        Assert.Contains("depth", StrictJson.Parse(Encoding.UTF8.GetBytes(deeper)).Error, StringComparison.Ordinal);
    }
}
