using OllamaQuota.Core.Tokens;

namespace OllamaQuota.Tests.Tokens;

public sealed class Cl100kTokenizerLargeInputTests
{
    private const int OneMegabyte = 1 << 20;

    private static readonly Cl100kTokenizer s_tokenizer = Cl100kTokenizer.Instance;

    public static TheoryData<string> Hashed => Cl100kVectors.HashedNames();

    [Theory]
    [MemberData(nameof(Hashed))]
    public void Encode_GeneratedReferenceText_MatchesTiktokenCountAndSha256(string name)
    {
        var vector = Cl100kVectors.Hashed(name);
        var text = Cl100kVectors.BuildText(vector);

        var ids = s_tokenizer.Encode(text);

        Assert.Equal(vector.Length, text.Length);
        Assert.Equal(vector.Count, ids.Length);
        Assert.Equal(vector.Sha256, Cl100kVectors.IdsSha256(ids));
        Assert.Equal(vector.Count, s_tokenizer.CountTokens(text));
    }

    [Fact]
    public void Decode_MixedMegabyte_RoundTrips()
    {
        var text = Cl100kVectors.BuildText(Cl100kVectors.Hashed("mixed_1mb"));

        Assert.Equal(text, s_tokenizer.Decode(s_tokenizer.Encode(text)));
    }

    [Theory]
    [InlineData('a')]
    [InlineData(' ')]
    [InlineData('-')]
    [InlineData('字')]
    // How long such a run takes (near-linear, where tiktoken's merge is quadratic) is measured by bench/tokenizer.sh,
    // not here: a time limit in a test measures the machine's load as much as the code.
    public void CountTokens_OneMegabyteRunOfOneChar_CountsWhatEncodeProduces(char c)
    {
        var text = new string(c, OneMegabyte);

        var count = s_tokenizer.CountTokens(text);

        Assert.Equal(s_tokenizer.Encode(text).Length, count);
    }

    [Fact]
    public void Encode_OneMegabyteOfLetterA_MatchesTiktokensEightLetterTokens()
    {
        // The vectors show tiktoken covering runs of 'a' with the 8-letter token; the heap merge must too.
        var eight = s_tokenizer.Encode("aaaaaaaa");
        var ids = s_tokenizer.Encode(new string('a', OneMegabyte));

        Assert.Single(eight);
        Assert.Equal(OneMegabyte / 8, ids.Length);
        Assert.All(ids, id => Assert.Equal(eight[0], id));
    }
}
