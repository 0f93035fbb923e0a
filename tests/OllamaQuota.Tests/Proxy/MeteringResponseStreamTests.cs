using System.Text;
using OllamaQuota.Proxy.Metering;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>
/// The response stream holds back the bytes that complete an answer until the usage hook has run, wherever Ollama's
/// reads happen to split the body.
/// </summary>
public sealed class MeteringResponseStreamTests
{
    private const string Ndjson =
        "{\"response\":\"a\",\"done\":false}\n{\"response\":\"b\",\"done\":false}\n"
        + "{\"response\":\"\",\"done\":true,\"prompt_eval_count\":3,\"eval_count\":2}\n";

    private const string SseDeltas =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}\n\n"
        + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":null}]}\n\n";

    private const string SseFinish = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]}\n\n";

    private const string SseUsage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n";

    private const string SseDone = "data: [DONE]\n\n";

    // Braces, brackets and escaped quotes inside strings must not end the value early.
    private const string Json = "{\"model\":\"m\",\"message\":{\"content\":\"a \\\"}]\\\\\\\" {[b\"},\"done\":true,\"prompt_eval_count\":3,\"eval_count\":2}";

    public static TheoryData<string, string, bool, string> Answers => new()
    {
        { "application/x-ndjson", Ndjson, false, Ndjson },
        { "text/event-stream", SseDeltas + SseFinish + SseUsage + SseDone, false, SseDeltas + SseFinish + SseUsage + SseDone },
        { "text/event-stream", SseDeltas + SseFinish + SseUsage + SseDone, true, SseDeltas + SseFinish + SseDone },
        { "application/json; charset=utf-8", Json, false, Json },
        { "application/json", "  " + Json + "\n", false, "  " + Json + "\n" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task WriteAsync_AnswerSplitAtAnyByte_HookRunsOnceWithTheCountsBeforeTheAnswerIsWhole(
        string contentType, string body, bool dropUsageChunk, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var mediaType = contentType.Split(';')[0];
        for (var split = 0; split <= bytes.Length; split++)
        {
            var client = new MemoryStream();
            var meter = new ResponseMeter();
            var calls = 0;
            var stream = new MeteringResponseStream(client, meter, mediaType, dropUsageChunk, () => { }, () =>
            {
                calls++;
                var sent = Encoding.UTF8.GetString(client.ToArray());
                Assert.StartsWith(sent, expected, StringComparison.Ordinal);
                Assert.False(AnswerReader.IsWhole(mediaType, sent), $"split at {split}: the client held the whole answer before the hook ran");
                Assert.DoesNotContain("\"finish_reason\":\"stop\"", sent, StringComparison.Ordinal);
                Assert.Equal((3, 2), (meter.PromptTokens, meter.CompletionTokens));
                return Task.CompletedTask;
            });

            await stream.WriteAsync(bytes.AsMemory(0, split));
            await stream.WriteAsync(bytes.AsMemory(split));
            Assert.True(await stream.CompleteAsync(CancellationToken.None));

            Assert.Equal(1, calls);
            Assert.Equal(expected, Encoding.UTF8.GetString(client.ToArray()));
        }
    }

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task WriteAsync_OneByteAtATime_HookRunsOnceBeforeTheAnswerIsWhole(string contentType, string body, bool dropUsageChunk, string expected)
    {
        var mediaType = contentType.Split(';')[0];
        var client = new MemoryStream();
        var calls = 0;
        var stream = new MeteringResponseStream(client, new ResponseMeter(), mediaType, dropUsageChunk, () => { }, () =>
        {
            calls++;
            Assert.False(AnswerReader.IsWhole(mediaType, Encoding.UTF8.GetString(client.ToArray())));
            return Task.CompletedTask;
        });

        foreach (var b in Encoding.UTF8.GetBytes(body))
        {
            await stream.WriteAsync(new[] { b });
        }

        await stream.CompleteAsync(CancellationToken.None);

        Assert.Equal(1, calls);
        Assert.Equal(expected, Encoding.UTF8.GetString(client.ToArray()));
    }

    /// <summary>Without the final document there is no whole answer: the pipeline settles after forwarding instead.</summary>
    [Theory]
    [InlineData("application/x-ndjson", "{\"response\":\"a\",\"done\":false}\n{\"response\":\"b\",")]
    [InlineData("text/event-stream", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}\n\n")]
    [InlineData("application/json", "{\"model\":\"m\",\"message\":{\"content\":\"a}")]
    [InlineData("text/plain", "404 page not found")]
    public async Task WriteAsync_AnswerNeverWhole_HookNotCalledAndEveryBytePassedOn(string mediaType, string body)
    {
        var client = new MemoryStream();
        var calls = 0;
        var stream = new MeteringResponseStream(client, new ResponseMeter(), mediaType, dropUsageChunk: false, () => { }, () =>
        {
            calls++;
            return Task.CompletedTask;
        });

        await stream.WriteAsync(Encoding.UTF8.GetBytes(body));
        await stream.CompleteAsync(CancellationToken.None);

        Assert.Equal(0, calls);
        Assert.Equal(body, Encoding.UTF8.GetString(client.ToArray()));
    }
}
