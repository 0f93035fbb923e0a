using System.Text;
using OllamaQuota.Core.Tokens;

namespace OllamaQuota.Tests.Tokens;

/// <summary>
/// The claim the proxy's prompt bound rests on (Tokens/README.md, "Exact count or bound"): valid text has at most as
/// many cl100k tokens as UTF-8 bytes, special tokens or not, and a chat at most its texts' bytes plus the fixed overheads.
/// </summary>
public sealed class Cl100kTokenBoundTests
{
    private static readonly Cl100kTokenizer s_tokenizer = Cl100kTokenizer.Instance;

    public static TheoryData<string> ValidTextCases => Cl100kVectors.ValidTextCaseNames();

    public static TheoryData<string> HashedCases => Cl100kVectors.HashedNames();

    public static TheoryData<string> ChatCases => Cl100kVectors.ChatNames();

    [Theory]
    [MemberData(nameof(ValidTextCases))]
    public void CountTokens_ReferenceVector_AtMostItsUtf8Bytes(string name)
    {
        var vector = Cl100kVectors.Case(name);

        Assert.InRange(s_tokenizer.CountTokens(vector.Input), 0, Encoding.UTF8.GetByteCount(vector.Input));
        Assert.InRange(s_tokenizer.CountTokens(vector.Input, allowSpecial: true), 0, Encoding.UTF8.GetByteCount(vector.Input));
    }

    [Theory]
    [MemberData(nameof(HashedCases))]
    public void CountTokens_LargeReferenceText_AtMostItsUtf8Bytes(string name)
    {
        var text = Cl100kVectors.BuildText(Cl100kVectors.Hashed(name));

        Assert.InRange(s_tokenizer.CountTokens(text), 1, Encoding.UTF8.GetByteCount(text));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("é")]
    [InlineData("中文")]
    [InlineData("😀")]
    [InlineData("𝔘𝔫𝔦𝔠𝔬𝔡𝔢")]
    [InlineData("\n\n\t  ")]
    [InlineData("<|endoftext|>")]
    public void CountTokens_OneTextRepeated_AtMostItsUtf8Bytes(string unit)
    {
        foreach (var times in (int[])[1, 2, 3, 17, 1000])
        {
            var text = string.Concat(Enumerable.Repeat(unit, times));

            Assert.InRange(s_tokenizer.CountTokens(text), 1, Encoding.UTF8.GetByteCount(text));
        }
    }

    [Theory]
    [MemberData(nameof(ChatCases))]
    public void CountChatTokens_ReferenceChat_AtMostBytesPlusOverheads(string name)
    {
        var chat = Cl100kVectors.File.Chat.Single(c => c.Name == name);
        var bound = Cl100kTokenizer.ReplyPrimingTokens + chat.Messages.Sum(m =>
            Cl100kTokenizer.TokensPerMessage + Encoding.UTF8.GetByteCount(m.Role) + Encoding.UTF8.GetByteCount(m.Content)
            + (m.Name is null ? 0 : Cl100kTokenizer.TokensPerName + Encoding.UTF8.GetByteCount(m.Name)));

        Assert.InRange(chat.Count, 0, bound);
    }
}
