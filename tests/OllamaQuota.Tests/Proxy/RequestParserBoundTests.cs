using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Tokens;
using OllamaQuota.Proxy.Requests;
using OllamaQuota.Proxy.Routing;
using OllamaQuota.Tests.Tokens;

namespace OllamaQuota.Tests.Proxy;

/// <summary>
/// The parser's prompt estimate: exact below <see cref="RequestParser.PromptBoundFromBytes"/>, a bound from the text's
/// bytes from there on, and that bound never below the exact count, however the text is written (multi-byte, escaped,
/// in chat parts, tool definitions, token ids).
/// </summary>
public sealed class RequestParserBoundTests
{
    private static readonly JsonSerializerOptions RawUtf8 = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] Units =
    [
        "The quick brown fox jumps over the lazy dog. ",
        "Größenänderung für Übermaß — ",
        "日本語のテキストと中文文本。",
        "emoji 😀🎉👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ",
        "line\nbreaks\r\n\ttabs \"quotes\" \\backslashes\\ ",
        "<|endoftext|> special text ",
        "    indented code() { return x[i] + 1; }\n",
    ];

    public static TheoryData<string> Texts()
    {
        var texts = new TheoryData<string>();
        foreach (var unit in Units)
        {
            texts.Add(Repeat(unit));
        }

        // The tiktoken reference inputs the proxy can receive (the lone-surrogate ones it refuses), made large.
        foreach (var input in Cl100kVectors.File.Cases.Select(c => c.Text).OfType<string>().Where(t => t.Length > 0).Distinct())
        {
            texts.Add(Repeat(input));
        }

        return texts;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Parse_LargeGeneratePrompt_BoundAtLeastTheExactCount(string text)
    {
        foreach (var options in (JsonSerializerOptions[])[JsonSerializerOptions.Default, RawUtf8])
        {
            var body = new JsonObject { ["model"] = "llama3", ["prompt"] = text, ["system"] = "Be brief." };

            var (request, exact) = ParseWithExact(ProxyEndpoint.Generate, body, options);

            Assert.True(request.PromptIsBound);
            Assert.Equal(Count(text) + Count("Be brief."), exact);
            Assert.InRange(exact, 1, request.PromptTokens);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Parse_LargeChat_BoundAtLeastTheExactChatCount(string text)
    {
        foreach (var options in (JsonSerializerOptions[])[JsonSerializerOptions.Default, RawUtf8])
        {
            var body = new JsonObject
            {
                ["model"] = "llama3",
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "system", ["content"] = "You answer in German.", ["name"] = "rules" },
                    new JsonObject { ["role"] = "user", ["content"] = text },
                    new JsonObject
                    {
                        ["role"] = "user",
                        ["content"] = new JsonArray(
                            new JsonObject { ["type"] = "text", ["text"] = text[..(text.Length / 2)] },
                            new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/png;base64,AAAA" } },
                            new JsonObject { ["type"] = "text", ["text"] = "é😀" }),
                    }),
                ["tools"] = new JsonArray(new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "größe", ["description"] = "Misst 😀" } }),
            };

            var (request, exact) = ParseWithExact(ProxyEndpoint.ChatCompletions, body, options);

            Assert.True(request.PromptIsBound);
            Assert.InRange(exact, 1, request.PromptTokens);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Parse_LargeInputArray_BoundAtLeastTheExactCount(string text)
    {
        var body = new JsonObject { ["model"] = "llama3", ["prompt"] = new JsonArray(text, "second é", "third 😀") };
        var withIds = new JsonObject { ["model"] = "llama3", ["input"] = new JsonArray(JsonValue.Create(text), new JsonArray(1, 2, 3)) };

        var (completion, completionExact) = ParseWithExact(ProxyEndpoint.Completions, body, JsonSerializerOptions.Default);
        var (embedding, embeddingExact) = ParseWithExact(ProxyEndpoint.Embeddings, withIds, RawUtf8);

        Assert.True(completion.PromptIsBound);
        Assert.Equal(Count(text) + Count("second é") + Count("third 😀"), completionExact);
        Assert.InRange(completionExact, 1, completion.PromptTokens);
        Assert.True(embedding.PromptIsBound);
        Assert.Equal(Count(text) + 3, embeddingExact);
        Assert.InRange(embeddingExact, 1, embedding.PromptTokens);
    }

    [Fact]
    public void Parse_PromptBelowTheThreshold_IsTheExactCount()
    {
        var text = new string('x', RequestParser.PromptBoundFromBytes - 1);

        var (request, exact) = ParseWithExact(ProxyEndpoint.Generate, new JsonObject { ["prompt"] = text }, JsonSerializerOptions.Default);

        Assert.False(request.PromptIsBound);
        Assert.Equal(exact, request.PromptTokens);
        Assert.Equal(Count(text), request.PromptTokens);
    }

    [Fact]
    public void Parse_PromptAtTheThreshold_IsItsBytes()
    {
        var text = new string('x', RequestParser.PromptBoundFromBytes);

        var (request, exact) = ParseWithExact(ProxyEndpoint.Generate, new JsonObject { ["prompt"] = text }, JsonSerializerOptions.Default);

        Assert.True(request.PromptIsBound);
        Assert.Equal(RequestParser.PromptBoundFromBytes, request.PromptTokens);
        Assert.Equal(Count(text), exact);
    }

    private static string Repeat(string unit)
    {
        var text = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(text.ToString()) < RequestParser.PromptBoundFromBytes)
        {
            text.Append(unit);
        }

        return text.ToString();
    }

    private static long Count(string text) => Cl100kTokenizer.Instance.CountTokens(text);

    /// <summary>As the pipeline does: the body held to StrictJson, parsed, then counted exactly.</summary>
    private static (ParsedRequest Request, long Exact) ParseWithExact(ProxyEndpoint endpoint, JsonObject body, JsonSerializerOptions options)
    {
        var (document, invalid) = StrictJson.Parse(JsonSerializer.SerializeToUtf8Bytes(body, options));
        Assert.Null(invalid);
        using (document)
        {
            var (request, error) = RequestParser.Parse(endpoint, document!.RootElement, "llama3");
            Assert.Null(error);
            return (request!, RequestParser.CountPromptExactly(endpoint, document.RootElement));
        }
    }
}
