using System.Buffers;
using System.Text;
using OllamaQuota.Proxy.Metering;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Regressions the fuzzing found: upstream documents whose text or counts cannot be read as they stand.</summary>
public sealed class ResponseMeterTests
{
    [Fact]
    public void ObserveDocument_LoneSurrogateEscapeInText_CountsItInsteadOfThrowing()
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument("""{"message":{"role":"assistant","content":"a\ud800b"},"done":false}"""u8);
        meter.ObserveDocument("""{"done":true,"prompt_eval_count":3,"eval_count":2}"""u8);

        Assert.Equal("a\\ud800b", meter.GeneratedText);
        Assert.True(meter.ProducedOutput);
        Assert.Equal((3, 2), (meter.PromptTokens, meter.CompletionTokens));
    }

    [Fact]
    public void ObserveDocument_InvalidUtf8InTextAndToolCalls_DecodesItLeniently()
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument([.. "{\"response\":\"x"u8, 0xFF, .. "\"}"u8]);
        meter.ObserveDocument([.. "{\"message\":{\"tool_calls\":[{\"f\":\""u8, 0xC3, .. "\"}]}}"u8]);

        Assert.Equal("x\uFFFD[{\"f\":\"\uFFFD\"}]", meter.GeneratedText);
    }

    [Fact]
    public void ObserveDocument_ErrorThatIsNotValidUnicode_IsReportedNotThrown()
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument("""{"error":{"message":"bad \udc00"}}"""u8);

        Assert.Equal("bad \\udc00", meter.StreamError);
    }

    [Theory]
    [InlineData("""{"done":true,"prompt_eval_count":"12","eval_count":""}""")]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":[],"completion_tokens":{"n":1}}}""")]
    [InlineData("""{"done":true,"prompt_eval_count":1e400,"eval_count":-1.5}""")]
    public void ObserveDocument_CountsThatAreNotWholeNumbers_AreNotCounts(string document)
    {
        var meter = new ResponseMeter();

        meter.ObserveDocument(Encoding.UTF8.GetBytes(document));

        Assert.Null(meter.PromptTokens);
        Assert.True(meter.CompletionTokens is null or 0);
    }

    [Fact]
    public void ObserveDocument_PropertyNameThatIsALoneSurrogate_PassesTheDocumentOver()
    {
        var meter = new ResponseMeter();

        var usageOnly = meter.ObserveDocument("""{"\udc00":1,"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":1}}"""u8);
        meter.ObserveDocument("""{"response":"next"}"""u8);

        Assert.False(usageOnly);
        Assert.Equal("next", meter.GeneratedText);
    }

    [Fact]
    public void SseFilter_UsageChunkAfterADeltaWithALoneSurrogate_StillCountsAndDrops()
    {
        var meter = new ResponseMeter();
        var filter = new SseFilter(meter, dropUsageChunk: true);
        var output = new ArrayBufferWriter<byte>();

        filter.Process("""
            data: {"choices":[{"delta":{"content":"\ud83d"}}]}

            data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":1}}

            data: [DONE]


            """u8, output, output);
        filter.Complete(output, output);

        Assert.Equal((4, 1), (meter.PromptTokens, meter.CompletionTokens));
        Assert.DoesNotContain("usage", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }
}
