using System.Buffers;
using System.Text;
using CsCheck;
using OllamaQuota.Core.Usage;
using OllamaQuota.Proxy.Metering;
using Xunit.Abstractions;

namespace OllamaQuota.Tests.Fuzzing;

/// <summary>
/// The response meters against whatever an upstream might send, cut into reads anywhere: they never throw out of
/// the forwarding loop, and how the bytes were cut changes nothing, neither the counts nor what the client gets.
/// </summary>
public sealed class MeterFuzzTests(ITestOutputHelper output)
{
    private static readonly Gen<string> Text = JsonGen.String;

    private static readonly Gen<string> Count = Gen.Frequency((4, Gen.Int[0, 5000].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))), (1, JsonGen.Number), (1, JsonGen.Value));

    /// <summary>Nanoseconds as Ollama writes them, or what a broken upstream might: negative, fractional, huge, not a number.</summary>
    private static readonly Gen<string> Duration = Gen.Frequency(
        (4, Gen.Long[0, 10_000_000_000].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.OneOf<string>("-1", "1.5", "1e9", "9223372036854775808", "99999999999999999", "\"5\"", "null")),
        (1, JsonGen.Number),
        (1, JsonGen.Value));

    /// <summary>One document of an Ollama stream or body: text, counts, errors, embeddings, or anything else.</summary>
    private static readonly Gen<string> OllamaDocument = Gen.Frequency(
        (4, Text.Select(t => $$"""{"model":"llama3","response":{{t}},"done":false}""")),
        (4, Gen.Select(Text, Text, (content, thinking) => $$$"""{"message":{"role":"assistant","content":{{{content}}},"thinking":{{{thinking}}}},"done":false}""")),
        (1, JsonGen.Value.Select(calls => $$$"""{"message":{"role":"assistant","content":"","tool_calls":[{{{calls}}}]}}""")),
        (2, Gen.Select(Count, Count, (prompt, eval) => $$"""{"done":true,"prompt_eval_count":{{prompt}},"eval_count":{{eval}}}""")),
        (1, Gen.OneOf(Text, JsonGen.Value).Select(e => $$"""{"error":{{e}}}""")),
        (2, Gen.Select(Duration, Duration, Duration, Duration, (total, load, prompt, eval) =>
            $$"""{"done":true,"total_duration":{{total}},"load_duration":{{load}},"prompt_eval_duration":{{prompt}},"eval_duration":{{eval}}}""")),
        (1, Gen.Const("""{"embeddings":[[0.1,0.2]],"prompt_eval_count":3}""")),
        (1, JsonGen.Value),
        (1, Gen.OneOf<string>("<html>502</html>", "not json", "{\"response\":\"cut", "", "   ", "\r")));

    /// <summary>The data of one OpenAI server-sent event.</summary>
    private static readonly Gen<string> OpenAiData = Gen.Frequency(
        (4, Text.Select(t => $$$"""{"choices":[{"index":0,"delta":{"content":{{{t}}}}}]}""")),
        (1, Text.Select(t => $$"""{"choices":[{"index":0,"text":{{t}}}]}""")),
        (2, Gen.Select(Count, Count, (prompt, completion) => $$$"""{"choices":[],"usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}}}}""")),
        (1, Gen.Const("[DONE]")),
        (1, JsonGen.Value),
        (1, Gen.OneOf<string>("not json", "{\"choices\":[{\"delta\":", "")));

    private static readonly Gen<byte[]> NdjsonStream = JsonGen.Mutated(Gen.Select(
        OllamaDocument.Array[0, 8], Gen.OneOf<string>("\n", "\r\n"), Gen.Bool,
        (lines, end, trailing) => string.Join(end, lines) + (trailing ? end : "")));

    private static readonly Gen<byte[]> SseStream = JsonGen.Mutated(Gen.Select(
        Gen.Select(OpenAiData, Gen.OneOf<string>("data: ", "data:", "event: x\ndata: ", ": keep-alive\ndata: ", "data: {}\ndata: ")).Array[0, 8],
        Gen.OneOf<string>("\n\n", "\r\n\r\n", "\n"), Gen.Bool,
        (events, end, trailing) => string.Join(end, events.Select(e => e.Item2 + e.Item1)) + (trailing ? end : "")));

    [Fact]
    public void Ndjson_ArbitraryBytesAnyCuts_NeverThrowsAndCountsAsOneRead() =>
        Fuzz.Check(WithCuts(Gen.Byte.Array[0, 256]), sample => AssertCutsChangeNothing(sample.Bytes, sample.Cuts, Ndjson), output, 300, Show);

    [Fact]
    public void Ndjson_GeneratedStreamsAnyCuts_CountsAsOneRead() =>
        Fuzz.Check(WithCuts(NdjsonStream), sample => AssertCutsChangeNothing(sample.Bytes, sample.Cuts, Ndjson), output, 300, Show);

    [Fact]
    public void Sse_ArbitraryBytesAnyCuts_NeverThrowsAndForwardsAsOneRead() =>
        Fuzz.Check(WithCuts(Gen.Byte.Array[0, 256]), sample => AssertSse(sample.Bytes, sample.Cuts), output, 300, Show);

    [Fact]
    public void Sse_GeneratedStreamsAnyCuts_CountsAndForwardsAsOneRead() =>
        Fuzz.Check(WithCuts(SseStream), sample => AssertSse(sample.Bytes, sample.Cuts), output, 300, Show);

    private static void AssertSse(byte[] stream, int[] cuts)
    {
        // Passing the usage chunk on, the client gets the upstream's bytes exactly.
        var kept = AssertCutsChangeNothing(stream, cuts, (bytes, at) => Sse(bytes, at, dropUsageChunk: false));
        Assert.Equal(Encoding.Latin1.GetString(stream), kept.Output);
        AssertCutsChangeNothing(stream, cuts, (bytes, at) => Sse(bytes, at, dropUsageChunk: true));
    }

    /// <summary>The result of reading in the given cuts equals that of one read and that of one byte per read.</summary>
    private static Metered AssertCutsChangeNothing(byte[] stream, int[] cuts, Func<byte[], int[], Metered> read)
    {
        var whole = read(stream, []);
        Assert.Equal(whole, read(stream, cuts));
        Assert.Equal(whole, read(stream, [.. Enumerable.Range(1, Math.Max(0, stream.Length - 1))]));
        return whole;
    }

    private static Metered Ndjson(byte[] stream, int[] cuts)
    {
        var meter = new ResponseMeter();
        var lines = new NdjsonSplitter(meter);
        foreach (var chunk in Chunks(stream, cuts))
        {
            lines.Observe(chunk.Span);
        }

        lines.Complete();
        return Metered.Of(meter, "");
    }

    private static Metered Sse(byte[] stream, int[] cuts, bool dropUsageChunk)
    {
        var meter = new ResponseMeter();
        var filter = new SseFilter(meter, dropUsageChunk);
        var forwarded = new ArrayBufferWriter<byte>();
        foreach (var chunk in Chunks(stream, cuts))
        {
            filter.Process(chunk.Span, forwarded, forwarded);
        }

        filter.Complete(forwarded, forwarded);
        return Metered.Of(meter, Encoding.Latin1.GetString(forwarded.WrittenSpan));
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] stream, int[] cuts)
    {
        var start = 0;
        foreach (var cut in cuts.Where(c => c > 0 && c < stream.Length).Order().Distinct())
        {
            yield return stream.AsMemory(start, cut - start);
            start = cut;
        }

        yield return stream.AsMemory(start);
    }

    private static Gen<(byte[] Bytes, int[] Cuts)> WithCuts(Gen<byte[]> stream) =>
        stream.SelectMany(bytes => Gen.Int[0, bytes.Length].Array[0, 8].Select(cuts => (bytes, cuts)));

    private static string Show((byte[] Bytes, int[] Cuts) sample) => $"cuts [{string.Join(",", sample.Cuts)}] {Fuzz.Show(sample.Bytes)}";

    /// <summary>What settling reads from a meter, and what the client was sent (Latin-1, one char per byte).</summary>
    private sealed record Metered(
        int? Prompt, int? Completion, OllamaDurations Durations, string? StreamError, bool Produced, string Generated, string Output)
    {
        public static Metered Of(ResponseMeter meter, string output)
        {
            var d = meter.Durations;
            Assert.All([d.Total, d.Load, d.PromptEval, d.Eval], n => Assert.True(n is null || GpuTime.IsPlausible(n.Value), $"implausible duration {n}"));
            return new(meter.PromptTokens, meter.CompletionTokens, d, meter.StreamError, meter.ProducedOutput, meter.GeneratedText, output);
        }
    }
}
