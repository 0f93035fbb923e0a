using OllamaQuota.Core.Tokens;

namespace OllamaQuota.Tests.Tokens;

public sealed class Cl100kTokenizerTests
{
    private const string EndOfText = "<|endoftext|>";

    private static readonly Cl100kTokenizer s_tokenizer = Cl100kTokenizer.Instance;

    [Fact]
    public void Instance_RepeatedAccess_ReturnsSharedTokenizer() =>
        Assert.Same(Cl100kTokenizer.Instance, Cl100kTokenizer.Instance);

    [Fact]
    public void SpecialTokens_Cl100k_ListsTiktokensFive()
    {
        var expected = new Dictionary<string, int>
        {
            ["<|endoftext|>"] = 100257,
            ["<|fim_prefix|>"] = 100258,
            ["<|fim_middle|>"] = 100259,
            ["<|fim_suffix|>"] = 100260,
            ["<|endofprompt|>"] = 100276,
        };

        Assert.Equal(expected.OrderBy(p => p.Key), s_tokenizer.SpecialTokens.OrderBy(p => p.Key));
    }

    [Fact]
    public void Encode_EmptyText_ReturnsNoIds()
    {
        Assert.Empty(s_tokenizer.Encode(string.Empty));
        Assert.Equal(0, s_tokenizer.CountTokens(ReadOnlySpan<char>.Empty));
    }

    [Fact]
    public void Encode_SpecialTokenTextByDefault_IsOrdinaryText()
    {
        var ids = s_tokenizer.Encode(EndOfText);

        Assert.DoesNotContain(100257, ids);
        Assert.Equal(EndOfText, s_tokenizer.Decode(ids));
    }

    [Fact]
    public void Encode_SpecialTokenTextAllowed_YieldsSpecialId() =>
        Assert.Equal([100257], s_tokenizer.Encode(EndOfText, allowSpecial: true));

    [Fact]
    public void CountTokens_SpecialTokenTextAllowed_CountsOne() =>
        Assert.Equal(1, s_tokenizer.CountTokens(EndOfText, allowSpecial: true));

    [Fact]
    public void Decode_LoneSurrogate_YieldsReplacementCharacter() =>
        Assert.Equal("a\uFFFDb", s_tokenizer.Decode(s_tokenizer.Encode("a\uD800b")));

    [Theory]
    [InlineData(-1)]
    [InlineData(100256)]
    [InlineData(100261)]
    [InlineData(int.MaxValue)]
    public void Decode_UnknownId_Throws(int id) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => s_tokenizer.Decode([id]));

    [Fact]
    public void CountTokens_ManyThreads_AgreeWithSingleThread()
    {
        var inputs = Cl100kVectors.File.Cases.Select(c => (c.Input, c.AllowSpecial, c.Ids.Length)).ToArray();

        Parallel.For(0, inputs.Length * 8, i =>
        {
            var (text, allowSpecial, expected) = inputs[i % inputs.Length];
            Assert.Equal(expected, s_tokenizer.CountTokens(text, allowSpecial));
        });
    }

    [Fact]
    public void CountTokens_WarmCall_AllocatesNothing()
    {
        var texts = Cl100kVectors.File.Cases.Select(c => c.Input).ToArray();
        foreach (var text in texts)
        {
            s_tokenizer.CountTokens(text);
            s_tokenizer.CountTokens(text, allowSpecial: true);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0;
        foreach (var text in texts)
        {
            total += s_tokenizer.CountTokens(text) + s_tokenizer.CountTokens(text, allowSpecial: true);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(total > 0);
        Assert.Equal(0, allocated);
    }
}
