namespace OllamaQuota.Core.Tokens;

/// <summary>One chat message as <see cref="Cl100kTokenizer.CountChatTokens(IEnumerable{ChatTokenMessage})"/> counts it.</summary>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Content">The message text.</param>
/// <param name="Name">The optional participant name, which costs one token on top of its own.</param>
public readonly record struct ChatTokenMessage(string Role, string Content, string? Name = null);
