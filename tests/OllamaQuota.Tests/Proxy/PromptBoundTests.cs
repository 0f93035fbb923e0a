using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Tokens;
using OllamaQuota.Proxy.Requests;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>
/// A large prompt reserved as its bound (its bytes) rather than counted (Tokens/README.md, "Exact count or bound"): far
/// from every limit it is served and charged Ollama's counts; near a limit the answer, the allowance written upstream
/// and the headers are those of the exact count; without Ollama's counts it is charged its exact count.
/// </summary>
public sealed class PromptBoundTests : IAsyncLifetime
{
    private const long Cap = 8192; // QUOTA_MAX_COMPLETION_TOKENS by default

    // ~100 KB of prose without characters JSON escapes, so that its bound is its length; about 4 bytes a token.
    private static readonly string Prompt = BuildPrompt(100 * 1024);

    private static readonly long Exact = Cl100kTokenizer.Instance.CountTokens(Prompt);

    private static readonly long ExactChat = Cl100kTokenizer.Instance.CountChatTokens([("user", Prompt)]);

    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync();

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public void Prompt_OfTheseTests_IsReservedAsABoundWellAboveItsCount()
    {
        Assert.True(Prompt.Length >= RequestParser.PromptBoundFromBytes);
        Assert.True(Prompt.Length - Exact > Cap, $"bound {Prompt.Length}, exact {Exact}");
    }

    [Fact]
    public async Task LargePrompt_FarFromLimits_ServedWithTheCapAndChargedOllamasCounts()
    {
        const long limit = 10_000_000;
        using var large = await ClientAsync(new QuotaLimits(limit, null, null, null));
        using var small = await ClientAsync(new QuotaLimits(limit, null, null, null));

        var response = await GenerateAsync(large, Prompt);
        var smallResponse = await GenerateAsync(small, "hi");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Cap, NumPredicts().First());
        Assert.Equal(Cap, NumPredicts().Last());

        // While it ran, the bound was held (the headers say what is left after the hold).
        Assert.Equal(limit - Prompt.Length - Cap, Header(response, "x-ratelimit-remaining-tokens"));
        var usage = await _proxy.WaitForUsageAsync(2);
        Assert.All(usage, u => Assert.Equal((FakeOllama.PromptEvalCount, FakeOllama.DefaultCompletionTokens), (u.PromptTokens, u.CompletionTokens)));

        // Settled, the bound is gone: the next request of each key sees the same tokens left.
        var next = await GenerateAsync(large, "hi");
        var smallNext = await GenerateAsync(small, "hi");
        Assert.Equal(HttpStatusCode.OK, smallResponse.StatusCode);
        Assert.Equal(Header(smallNext, "x-ratelimit-remaining-tokens"), Header(next, "x-ratelimit-remaining-tokens"));
        Assert.Equal(limit - FakeOllama.PromptEvalCount - FakeOllama.DefaultCompletionTokens - 1 - Cap, Header(next, "x-ratelimit-remaining-tokens"));
    }

    [Fact]
    public async Task LargePrompt_DailyTokensBelowItsExactCount_RefusedAsWithTheCount()
    {
        using var client = await ClientAsync(new QuotaLimits(Exact, null, null, null));

        var refused = await GenerateAsync(client, Prompt);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains($"daily token limit of {Exact}", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Exact, Header(refused, "x-ratelimit-remaining-tokens"));
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Fact]
    public async Task LargePrompt_BoundAboveTheTokensLeftButCountFits_ServedWithTheCountsAllowance()
    {
        // The bound (the prompt's bytes) is refused; the exact count fits with 100 tokens to spare.
        var limit = Exact + 100;
        using var client = await ClientAsync(new QuotaLimits(limit, null, 2, null));

        var response = await GenerateAsync(client, Prompt);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(100, NumPredicts().Single());
        Assert.Equal(0, Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal(1, Header(response, "x-ratelimit-remaining-requests"));
    }

    [Theory]
    [InlineData("/api/generate")]
    [InlineData("/v1/chat/completions")]
    public async Task LargePrompt_BoundFitsButCutsTheAllowance_ServedWithTheCountsAllowanceAndCountedOnce(string path)
    {
        // The bound fits with 1,000 tokens to spare, which would cut the allowance to 1,000; the exact count leaves the cap.
        var exact = path == "/api/generate" ? Exact : ExactChat;
        var bound = path == "/api/generate" ? Prompt.Length : Cl100kTokenizer.TokensPerMessage + "user".Length + Prompt.Length + Cl100kTokenizer.ReplyPrimingTokens;
        var limit = bound + 1000;
        using var client = await ClientAsync(new QuotaLimits(limit, null, 2, null));

        var response = await (path == "/api/generate" ? GenerateAsync(client, Prompt) : ChatCompletionAsync(client, Prompt));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = _proxy.Ollama.Requests.Single().Body!;
        var allowance = path == "/api/generate" ? forwarded["options"]!["num_predict"]! : forwarded["max_tokens"]!;
        Assert.Equal(Math.Min(Cap, limit - exact), allowance.GetValue<long>());
        Assert.Equal(limit - exact - Cap, Header(response, "x-ratelimit-remaining-tokens"));

        // The bound's grant was given back whole: one request counted of two, so one more passes and the next is refused.
        Assert.Equal(1, Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal(HttpStatusCode.OK, (await GenerateAsync(client, "hi")).StatusCode);
        var third = await GenerateAsync(client, "hi");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("daily request limit of 2", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (await _proxy.WaitForUsageAsync(2)).Count);
    }

    [Fact]
    public async Task LargePrompt_OllamaReportsNoCounts_ChargedTheExactCount()
    {
        const long limit = 10_000_000;
        using var client = await ClientAsync(new QuotaLimits(limit, null, null, null));

        var response = await GenerateAsync(client, Prompt, model: "nocounts");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = Assert.Single(await _proxy.WaitForUsageAsync(1));
        Assert.Equal(Exact, usage.PromptTokens);
        Assert.True(usage.CompletionTokens > 0);

        // The ledger was charged the same.
        var next = await GenerateAsync(client, "hi");
        Assert.Equal(limit - Exact - usage.CompletionTokens - 1 - Cap, Header(next, "x-ratelimit-remaining-tokens"));
    }

    private async Task<HttpClient> ClientAsync(QuotaLimits limits) => _proxy.ClientFor((await _proxy.CreateKeyAsync(limits)).Key);

    private IEnumerable<long> NumPredicts() =>
        _proxy.Ollama.Requests.Select(r => r.Body!["options"]!["num_predict"]!.GetValue<long>());

    private static async Task<HttpResponseMessage> GenerateAsync(HttpClient client, string prompt, string model = "llama3")
    {
        var response = await client.PostAsync("/api/generate", new StringContent(
            $$"""{"model":"{{model}}","prompt":"{{prompt}}","stream":false}""", Encoding.UTF8, "application/json"));
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<HttpResponseMessage> ChatCompletionAsync(HttpClient client, string prompt)
    {
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "llama3", messages = new[] { new { role = "user", content = prompt } } });
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static long? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? long.Parse(values.Single(), CultureInfo.InvariantCulture) : null;

    private static string BuildPrompt(int bytes)
    {
        string[] sentences =
        [
            "The proxy counts every prompt before it forwards the request. ",
            "Quotas are kept per key and per owner, in windows of a minute, an hour, a day and a month. ",
            "A reservation holds the prompt and the completion allowance until the request is settled. ",
            "Ollama reports how many tokens it read and how many it generated, and those are charged. ",
        ];
        var text = new StringBuilder(bytes + 100);
        for (var i = 0; text.Length < bytes; i++)
        {
            text.Append(sentences[i * 7 % sentences.Length]).Append(i).Append(' ');
        }

        return text.ToString();
    }
}
