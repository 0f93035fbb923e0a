using System.Text.Json;
using CsCheck;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Settings;
using OllamaQuota.Proxy.Requests;
using OllamaQuota.Proxy.Routing;
using Xunit.Abstractions;

namespace OllamaQuota.Tests.Fuzzing;

/// <summary>
/// The request parser and the body rewriter against generated bodies: every body is either a request or the
/// caller's 400, never an exception; and what the rewriter sends upstream is valid JSON that parses back to the same
/// request with the allowance in place.
/// </summary>
public sealed class RequestFuzzTests(ITestOutputHelper output)
{
    private const string DefaultModel = "llama3";

    private static readonly ProxyEndpoint[] Endpoints =
    [
        ProxyEndpoint.Generate, ProxyEndpoint.Chat, ProxyEndpoint.Embed, ProxyEndpoint.LegacyEmbeddings, ProxyEndpoint.Show,
        ProxyEndpoint.ChatCompletions, ProxyEndpoint.Completions, ProxyEndpoint.Embeddings,
    ];

    private static readonly Gen<ProxyEndpoint> Endpoint = Gen.OneOf(Endpoints);

    /// <summary>No allowance (nothing to write), or a clamped one, as the ledger hands them out.</summary>
    private static readonly Gen<Reservation?> Reservation = Gen.Frequency(
        (1, Gen.Const((Reservation?)null)),
        (3, Gen.Long[0, 8192].Select(allowance => (Reservation?)new Reservation(Guid.Empty, default, default, allowance, allowance, Clamped: true))));

    /// <summary>No guardrails, or every one of them on.</summary>
    private static readonly Gen<Guardrails> Rules = Gen.OneOf(
        Gen.Const(Guardrails.None),
        Gen.Const(new Guardrails(600, NumCtxRules.FromStored("""{"default":{"max":8192},"models":{"qwen2.5:*":{"fixed":2048}}}"""), 2, 64)));

    [Fact]
    public void Parse_ArbitraryBytes_ReturnsARequestOrAnError() =>
        Fuzz.Check(Gen.Select(Endpoint, Gen.Byte.Array[0, 256]), sample => ParseAndRewrite(sample.Item1, sample.Item2, null, Guardrails.None), output, 300,
            sample => $"{sample.Item1.Path} {Fuzz.Show(sample.Item2)}");

    [Fact]
    public void ParseAndRewrite_GeneratedBodies_RequestOrErrorAndRewriteParsesBack() =>
        Fuzz.Check(Gen.Select(Endpoint, JsonGen.Mutated(JsonGen.RequestBody), Reservation, Rules), sample => ParseAndRewrite(sample.Item1, sample.Item2, sample.Item3, sample.Item4), output, 600,
            sample => $"{sample.Item1.Path} allowance {sample.Item3?.CompletionAllowance} guardrails {sample.Item4 != Guardrails.None} {Fuzz.Show(sample.Item2)}");

    private static void ParseAndRewrite(ProxyEndpoint endpoint, byte[] body, Reservation? reservation, Guardrails rules)
    {
        // As the pipeline does: the body held to StrictJson, then parsed, then rewritten for the upstream.
        var (document, invalid) = StrictJson.Parse(body);
        if (document is null)
        {
            Assert.False(string.IsNullOrEmpty(invalid));
            return;
        }

        using (document)
        {
            var (request, error) = RequestParser.Parse(endpoint, document.RootElement, DefaultModel);
            if (request is null)
            {
                Assert.False(string.IsNullOrEmpty(error?.Message));
                return;
            }

            Assert.True(request.ModelDefaulted || ModelName.IsValid(request.Model), "an invalid model name was accepted");
            var (changes, refusal) = RequestGuardrails.Apply(endpoint, document.RootElement, request, rules);
            if (refusal is not null)
            {
                Assert.False(string.IsNullOrEmpty(refusal.Message));
                return;
            }

            var sent = BodyRewriter.Rewrite(endpoint, document.RootElement, request, endpoint.GeneratesText ? reservation : null, changes);
            if (sent is null)
            {
                return;
            }

            var (rewrittenDocument, rewrittenInvalid) = StrictJson.Parse(sent);
            Assert.True(rewrittenDocument is not null, $"the rewritten body is refused: {rewrittenInvalid}");
            using var rewritten = rewrittenDocument;
            var (again, againError) = RequestParser.Parse(endpoint, rewritten.RootElement, "unused");
            Assert.Null(againError);
            Assert.Equal((request.Model, false, request.Stream, request.PromptTokens), (again!.Model, again.ModelDefaulted, again.Stream, again.PromptTokens));
            if (endpoint.GeneratesText && reservation is { CompletionAllowance: { } allowance })
            {
                Assert.Equal(allowance, again.RequestedCompletionTokens);
            }

            if (request.ProxyAsksUsage)
            {
                Assert.True(rewritten.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
            }

            if (changes?.KeepAliveSeconds is { } keepAlive)
            {
                Assert.Equal(keepAlive, rewritten.RootElement.GetProperty("keep_alive").GetInt64());
            }

            if (rewritten.RootElement.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Object && endpoint is { Style: ApiStyle.Ollama, Metered: true })
            {
                Assert.DoesNotContain(options.EnumerateObject(), option => Guardrails.LoadTimeOptions.Contains(option.Name));
                if (changes?.NumCtx is { } numCtx)
                {
                    Assert.Equal(numCtx, options.GetProperty("num_ctx").GetInt64());
                }
            }

            AssertOtherFieldsKept(document.RootElement, rewritten.RootElement, changes is not null);
        }
    }

    /// <summary>
    /// Every field the rewriter does not own reaches the upstream with the same value: the same JSON once written
    /// out by one writer (strings may be escaped differently; numbers are copied as they came). Not DeepEquals,
    /// which throws on a number whose exponent is beyond an int (the campaign's first finding, in this oracle).
    /// </summary>
    private static void AssertOtherFieldsKept(JsonElement original, JsonElement rewritten, bool guarded)
    {
        string[] owned = ["model", "options", "max_tokens", "max_completion_tokens", "stream_options"];
        foreach (var property in original.EnumerateObject().Where(p => !owned.Contains(p.Name) && !(guarded && p.NameEquals("keep_alive"))))
        {
            Assert.True(rewritten.TryGetProperty(property.Name, out var value), $"'{property.Name}' was dropped");
            Assert.Equal(JsonSerializer.Serialize(property.Value), JsonSerializer.Serialize(value));
        }
    }
}
