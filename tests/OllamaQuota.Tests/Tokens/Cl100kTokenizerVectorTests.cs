using OllamaQuota.Core.Tokens;

namespace OllamaQuota.Tests.Tokens;

public sealed class Cl100kTokenizerVectorTests
{
    private static readonly Cl100kTokenizer s_tokenizer = Cl100kTokenizer.Instance;

    public static TheoryData<string> Cases => Cl100kVectors.CaseNames();

    public static TheoryData<string> ValidTextCases => Cl100kVectors.ValidTextCaseNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_ReferenceVector_MatchesTiktokenIds(string name)
    {
        var vector = Cl100kVectors.Case(name);

        var ids = s_tokenizer.Encode(vector.Input, vector.AllowSpecial);

        Assert.Equal(vector.Ids, ids);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CountTokens_ReferenceVector_EqualsEncodeLength(string name)
    {
        var vector = Cl100kVectors.Case(name);

        var count = s_tokenizer.CountTokens(vector.Input, vector.AllowSpecial);

        Assert.Equal(vector.Ids.Length, count);
        Assert.Equal(s_tokenizer.Encode(vector.Input, vector.AllowSpecial).Length, count);
    }

    [Theory]
    [MemberData(nameof(ValidTextCases))]
    public void Decode_EncodedValidText_RoundTrips(string name)
    {
        var vector = Cl100kVectors.Case(name);

        var text = s_tokenizer.Decode(s_tokenizer.Encode(vector.Input, vector.AllowSpecial));

        Assert.Equal(vector.Input, text);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_ReferenceIds_EqualsDecodeOfOwnEncoding(string name)
    {
        var vector = Cl100kVectors.Case(name);

        Assert.Equal(s_tokenizer.Decode(vector.Ids), s_tokenizer.Decode(s_tokenizer.Encode(vector.Input, vector.AllowSpecial)));
    }
}
