using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Proxy.Metering;

/// <summary>
/// Watches a response as it streams past and keeps what settling needs: the counts the upstream reported
/// (Ollama's <c>prompt_eval_count</c>/<c>eval_count</c> on the <c>done</c> chunk, the OpenAI <c>usage</c> object),
/// and the text generated so far, which the tokenizer counts when no counts arrive (an abort, a legacy endpoint).
/// One JSON document at a time: an NDJSON line, an SSE event's data, or a whole non-streamed body.
/// </summary>
public sealed class ResponseMeter
{
    // The generated text as the JSON values it came in (string literals, tool-call arrays), comma-separated: kept
    // as bytes and decoded only if it has to be counted, which a stream that reports its counts never needs. Decoding
    // each token's chunk into a string as it passed cost every streamed request an allocation per chunk.
    private readonly ArrayBufferWriter<byte> _generated = new();

    public int? PromptTokens { get; private set; }

    public int? CompletionTokens { get; private set; }

    /// <summary>
    /// Ollama's timings in nanoseconds (<c>total_duration</c>, <c>load_duration</c>, <c>prompt_eval_duration</c>,
    /// <c>eval_duration</c>), from the final chunk of a generation or an <c>/api/embed</c> answer; each null unless
    /// reported as a plausible whole number.
    /// </summary>
    public OllamaDurations Durations { get; private set; }

    /// <summary>The upstream reported an error inside a 200 stream (Ollama writes <c>{"error": …}</c> lines).</summary>
    public string? StreamError { get; private set; }

    /// <summary>Whether any generated text or embedding output has gone past, i.e. the upstream did work.</summary>
    public bool ProducedOutput { get; private set; }

    /// <summary>The upstream said the generation is over: Ollama's <c>done: true</c>, or an OpenAI choice's <c>finish_reason</c>.</summary>
    public bool Finished { get; private set; }

    /// <summary>The text generated so far, decoded now (each string's text, each tool-call list as its JSON).</summary>
    public string GeneratedText
    {
        get
        {
            if (_generated.WrittenCount == 0)
            {
                return "";
            }

            var values = new byte[_generated.WrittenCount + 2];
            values[0] = (byte)'[';
            _generated.WrittenSpan.CopyTo(values.AsSpan(1));
            values[^1] = (byte)']';
            using var document = JsonDocument.Parse(values);
            var text = new StringBuilder();
            foreach (var value in document.RootElement.EnumerateArray())
            {
                text.Append(Text(value));
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Reads one JSON document (anything that is not JSON is passed over; it is still forwarded) and says whether it
    /// is the usage-only chunk of an OpenAI stream: one parse for both.
    /// </summary>
    public bool ObserveDocument(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            return false;
        }

        // Parsed from pooled memory: JsonDocument.Parse(ReadOnlyMemory) rents its metadata and reads the bytes in
        // place, where parsing from a span (TryParseValue) allocates a copy of the bytes and of the metadata for
        // every line of every stream.
        var rented = ArrayPool<byte>.Shared.Rent(json.Length);
        try
        {
            json.CopyTo(rented);
            return ObserveDocument(rented.AsMemory(0, json.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>As <see cref="ObserveDocument(ReadOnlySpan{byte})"/>, for bytes the caller already holds: read in place.</summary>
    public bool ObserveDocument(ReadOnlyMemory<byte> json)
    {
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            Observe(document.RootElement);
            return IsUsageOnly(document.RootElement);
        }
        catch (JsonException)
        {
            return ObserveFirstValue(json.Span);
        }
        catch (InvalidOperationException)
        {
            // A property name escaped as text that is not Unicode (a lone surrogate) throws when it is compared:
            // the document is passed over, as one that is not JSON is.
            return false;
        }
    }

    /// <summary>
    /// The slow path, for what a whole-input parse refuses: the first JSON value of the text, if it starts with one
    /// (text after it is ignored). Text that is not JSON at all (an HTML error page, a plain-text line) is passed
    /// over instead of throwing out of the forwarding loop, which would leave the request unsettled.
    /// </summary>
    private bool ObserveFirstValue(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!JsonDocument.TryParseValue(ref reader, out var document))
            {
                return false;
            }

            using (document)
            {
                Observe(document.RootElement);
                return IsUsageOnly(document.RootElement);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool IsUsageOnly(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
        && (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0);

    private void Observe(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
        {
            StreamError = Text(error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) ? message : error);
        }

        // Ollama: generated text, then the counts on the final chunk.
        AppendText(root, "response");
        AppendText(root, "thinking");
        if (root.TryGetProperty("message", out var ollamaMessage) && ollamaMessage.ValueKind == JsonValueKind.Object)
        {
            AppendText(ollamaMessage, "content");
            AppendText(ollamaMessage, "thinking");
            AppendToolCalls(ollamaMessage);
        }

        var embedded = root.TryGetProperty("embeddings", out var embeddings) && embeddings.ValueKind == JsonValueKind.Array;
        if (embedded
            || root.TryGetProperty("embedding", out var embedding) && embedding.ValueKind == JsonValueKind.Array
            || root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            ProducedOutput = true;
        }

        if (root.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.True)
        {
            Finished = true;
        }

        // Only the documents that carry timings are searched for them, not every token's chunk of a stream.
        if (embedded || done.ValueKind == JsonValueKind.True)
        {
            Durations = new OllamaDurations(
                Duration(root, "total_duration"), Duration(root, "load_duration"), Duration(root, "prompt_eval_duration"), Duration(root, "eval_duration"));
        }

        if (TryGetCount(root, "prompt_eval_count", out var prompt))
        {
            PromptTokens = prompt;
        }

        if (TryGetCount(root, "eval_count", out var completion))
        {
            CompletionTokens = completion;
        }

        // OpenAI: choices (streamed deltas or whole messages), and usage when asked for.
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    Finished = true;
                }

                AppendText(choice, "text");
                foreach (var name in (ReadOnlySpan<string>)["delta", "message"])
                {
                    if (choice.TryGetProperty(name, out var part) && part.ValueKind == JsonValueKind.Object)
                    {
                        AppendText(part, "content");
                        AppendText(part, "reasoning");
                        AppendToolCalls(part);
                    }
                }
            }
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            if (TryGetCount(usage, "prompt_tokens", out var p))
            {
                PromptTokens = p;
            }

            CompletionTokens = TryGetCount(usage, "completion_tokens", out var c) ? c : 0;
        }
    }

    private void AppendText(JsonElement parent, string name)
    {
        // A string literal longer than its two quotes holds at least one character, escaped or not.
        if (parent.TryGetProperty(name, out var text) && text.ValueKind == JsonValueKind.String && JsonMarshal.GetRawUtf8Value(text) is { Length: > 2 } value)
        {
            Keep(value);
        }
    }

    private void AppendToolCalls(JsonElement parent)
    {
        if (parent.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0)
        {
            Keep(JsonMarshal.GetRawUtf8Value(calls));
        }
    }

    /// <summary>A count the upstream reported: a whole number (TryGetInt32 throws on anything but a number).</summary>
    private void Keep(ReadOnlySpan<byte> value)
    {
        if (_generated.WrittenCount > 0)
        {
            _generated.Write(","u8);
        }

        _generated.Write(value);
        ProducedOutput = true;
    }

    private static bool TryGetCount(JsonElement parent, string name, out int count)
    {
        count = 0;
        return parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out count);
    }

    /// <summary>A duration the upstream reported: a whole number of nanoseconds within <see cref="GpuTime.IsPlausible"/>.</summary>
    private static long? Duration(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt64(out var nanoseconds) && GpuTime.IsPlausible(nanoseconds)
            ? nanoseconds
            : null;

    /// <summary>
    /// A string's value, or any other value's JSON. An upstream's bytes are not held to what a request body is (they
    /// are forwarded as they came), and reading text that is not valid Unicode throws; such text is decoded as it
    /// stands instead (escapes kept, bad bytes as U+FFFD), which is near enough to count its tokens or show an error.
    /// </summary>
    private static string Text(JsonElement value)
    {
        try
        {
            return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        }
        catch (InvalidOperationException)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            return Encoding.UTF8.GetString(value.ValueKind == JsonValueKind.String ? raw[1..^1] : raw);
        }
    }
}
