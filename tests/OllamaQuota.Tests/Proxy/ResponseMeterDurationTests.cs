using System.Text;
using OllamaQuota.Proxy.Metering;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Ollama's durations (nanoseconds) as the meter takes them from streamed and whole answers.</summary>
public sealed class ResponseMeterDurationTests
{
    private const string FinalChunk =
        """{"model":"llama3","done":true,"done_reason":"stop","total_duration":10706818083,"load_duration":6338219291,"prompt_eval_count":26,"prompt_eval_duration":130079000,"eval_count":259,"eval_duration":4232710000}""";

    private static readonly OllamaDurations Reported = new(10_706_818_083, 6_338_219_291, 130_079_000, 4_232_710_000);

    [Fact]
    public void NdjsonStream_FinalChunkCutAcrossReads_KeepsEachDuration()
    {
        var meter = new ResponseMeter();
        var lines = new NdjsonSplitter(meter);
        var stream = Encoding.UTF8.GetBytes("""{"model":"llama3","response":"Hi","done":false}""" + "\n" + FinalChunk + "\n");

        // Cut inside the durations, so the final line is put together from two reads.
        var cut = Encoding.UTF8.GetByteCount(FinalChunk[..FinalChunk.IndexOf("prompt_eval_duration", StringComparison.Ordinal)]) + 49;
        lines.Observe(stream.AsSpan(0, cut));
        lines.Observe(stream.AsSpan(cut));
        lines.Complete();

        Assert.Equal(Reported, meter.Durations);
    }

    [Fact]
    public void WholeBody_NonStreamedAnswer_KeepsEachDuration()
    {
        var meter = new ResponseMeter();
        var body = new WholeBodyMeter(meter);

        body.Observe(Encoding.UTF8.GetBytes(FinalChunk.Replace("\"done\":true", "\"response\":\"Hi\",\"done\":true", StringComparison.Ordinal)));

        Assert.Equal(Reported, meter.Durations);
        Assert.Equal((26, 259), (meter.PromptTokens, meter.CompletionTokens));
    }

    [Fact]
    public void WholeBody_EmbedAnswer_KeepsTotalAndLoadOnly()
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument("""{"model":"all-minilm","embeddings":[[0.1]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}"""u8);

        Assert.Equal(new OllamaDurations(14_143_917, 1_019_500, null, null), meter.Durations);
    }

    [Fact]
    public void ObserveDocument_DurationsOnAChunkThatIsNotFinal_AreNotTaken()
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument("""{"response":"a","done":false,"total_duration":5,"eval_duration":5}"""u8);

        Assert.Equal(default, meter.Durations);
    }

    [Fact]
    public void ObserveDocument_StreamCutOffBeforeItsFinalChunk_HasNoDurations()
    {
        var meter = new ResponseMeter();
        var lines = new NdjsonSplitter(meter);

        lines.Observe("{\"response\":\"a\",\"done\":false}\n"u8);
        lines.Observe("""{"response":"b","done":tr"""u8);
        lines.Complete();

        Assert.Equal(default, meter.Durations);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("1e9")]
    [InlineData("\"130079000\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("9223372036854775808")]
    [InlineData("86400000000001")]
    [InlineData("99999999999999999")]
    public void ObserveDocument_DurationThatIsNotAPlausibleWholeNumber_IsUnknown(string value)
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument(Encoding.UTF8.GetBytes(
            $$"""{"done":true,"total_duration":{{value}},"load_duration":{{value}},"prompt_eval_duration":{{value}},"eval_duration":7,"eval_count":1}"""));

        Assert.Equal(new OllamaDurations(null, null, null, 7), meter.Durations);
        Assert.Equal(1, meter.CompletionTokens);
    }

    [Fact]
    public void ObserveDocument_OpenAiAnswer_HasNoDurations()
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument("""{"choices":[{"index":0,"message":{"content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"""u8);

        Assert.Equal(default, meter.Durations);
    }
}
