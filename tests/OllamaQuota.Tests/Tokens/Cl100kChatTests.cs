using OllamaQuota.Core.Tokens;

namespace OllamaQuota.Tests.Tokens;

public sealed class Cl100kChatTests
{
    private static readonly Cl100kTokenizer s_tokenizer = Cl100kTokenizer.Instance;

    public static TheoryData<string> Chats => Cl100kVectors.ChatNames();

    [Theory]
    [MemberData(nameof(Chats))]
    public void CountChatTokens_ReferenceConversation_MatchesOpenAiAccounting(string name)
    {
        var chat = Cl100kVectors.File.Chat.Single(c => c.Name == name);

        var count = s_tokenizer.CountChatTokens(chat.Messages.Select(m => new ChatTokenMessage(m.Role, m.Content, m.Name)));

        Assert.Equal(chat.Count, count);
    }

    [Fact]
    public void CountChatTokens_OpenAiCookbookExample_Counts129()
    {
        // The figure OpenAI's cookbook prints (and the API reports) for this prompt on gpt-4 / gpt-3.5-turbo.
        var chat = Cl100kVectors.File.Chat.Single(c => c.Name == "openai_cookbook_example");

        var count = s_tokenizer.CountChatTokens(chat.Messages.Select(m => new ChatTokenMessage(m.Role, m.Content, m.Name)));

        Assert.Equal(129, count);
    }

    [Fact]
    public void CountChatTokens_TupleMessages_MatchRecordMessages()
    {
        (string Role, string Content)[] messages = [("system", "Be brief."), ("user", "Wie groß ist die Straße?")];

        var fromTuples = s_tokenizer.CountChatTokens(messages);
        var fromRecords = s_tokenizer.CountChatTokens(messages.Select(m => new ChatTokenMessage(m.Role, m.Content)));

        Assert.Equal(fromRecords, fromTuples);
        Assert.Equal(
            3 + messages.Sum(m => 3 + s_tokenizer.CountTokens(m.Role) + s_tokenizer.CountTokens(m.Content)),
            fromTuples);
    }

    [Fact]
    public void CountChatTokens_NoMessages_CountsReplyPrimingOnly() =>
        Assert.Equal(Cl100kTokenizer.ReplyPrimingTokens, s_tokenizer.CountChatTokens(Array.Empty<ChatTokenMessage>()));
}
