using System.ClientModel;
using System.Net;
using System.Text;
using OllamaQuota.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace OllamaQuota.Tests.Proxy;

/// <summary>An unmodified OpenAI SDK (the OpenAI .NET package) through the proxy.</summary>
public sealed class OpenAiClientTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;
    private ChatClient _chat = null!;

    public async Task InitializeAsync()
    {
        _proxy = await ProxyHost.StartAsync();
        var (_, key) = await _proxy.CreateKeyAsync();
        _chat = new ChatClient("llama3", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(_proxy.BaseAddress, "/v1") });
    }

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task CompleteChat_NotStreamed_ReturnsTextAndUsage()
    {
        ChatCompletion completion = await _chat.CompleteChatAsync([new UserChatMessage("Hello")]);

        Assert.Contains("tok", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(FakeOllama.PromptEvalCount, completion.Usage.InputTokenCount);
        Assert.Equal(FakeOllama.DefaultCompletionTokens, completion.Usage.OutputTokenCount);
        var usage = Assert.Single(await _proxy.WaitForUsageAsync(1));
        Assert.Equal((FakeOllama.PromptEvalCount, FakeOllama.DefaultCompletionTokens), (usage.PromptTokens, usage.CompletionTokens));
    }

    [Fact]
    public async Task CompleteChatStreaming_ClientAsksUsage_ReceivesTextAndUsage()
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in _chat.CompleteChatStreamingAsync([new UserChatMessage("Hello")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
            usage ??= update.Usage;
        }

        Assert.Equal(string.Concat(Enumerable.Repeat(" tok", FakeOllama.DefaultCompletionTokens)), text.ToString());
        Assert.NotNull(usage);
        Assert.Equal(FakeOllama.DefaultCompletionTokens, usage.OutputTokenCount);
        var recorded = Assert.Single(await _proxy.WaitForUsageAsync(1));
        Assert.Equal(FakeOllama.DefaultCompletionTokens, recorded.CompletionTokens);
    }

    [Fact]
    public async Task Stream_ClientDidNotAskUsage_ProxyMetersItAndStripsTheUsageChunk()
    {
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);

        var response = await client.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"llama3","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("\"usage\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.True(_proxy.Ollama.Requests.Single().Body!["stream_options"]!["include_usage"]!.GetValue<bool>());
        var recorded = Assert.Single(await _proxy.WaitForUsageAsync(1));
        Assert.Equal((FakeOllama.PromptEvalCount, FakeOllama.DefaultCompletionTokens), (recorded.PromptTokens, recorded.CompletionTokens));
    }
}
