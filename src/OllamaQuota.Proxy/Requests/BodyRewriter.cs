using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Settings;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Proxy.Requests;

/// <summary>
/// Writes the body sent upstream when the proxy must change it: the default model filled in, the completion
/// allowance as num_predict / max_tokens, the usage chunk requested on OpenAI streams, and the guardrails' changes
/// (<see cref="BodyChanges"/>: keep_alive capped, options.num_ctx set, load-time options dropped). Every other property
/// is copied as it came, its value's bytes unchanged. Returns null when nothing needs changing, so the original bytes
/// are forwarded. Unmetered routes pass no reservation: only the model is filled in.
/// </summary>
public static class BodyRewriter
{
    /// <summary>Scratch buffers larger than this are dropped after use rather than kept by the thread.</summary>
    private const int KeptScratchBytes = 1024 * 1024;

    // One scratch buffer and writer per thread (Rewrite never awaits), so that a rewrite allocates only its result:
    // a fresh 4 KB buffer grown by doubling cost a 100 KB prompt ~250 KB of large-object-heap garbage per request.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_output;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static byte[]? Rewrite(ProxyEndpoint endpoint, JsonElement root, ParsedRequest request, Reservation? reservation, BodyChanges? changes = null)
    {
        var allowance = reservation is { Clamped: true } ? reservation.CompletionAllowance : null;
        var askUsage = request.ProxyAsksUsage;
        var ollamaOptions = endpoint.Style == ApiStyle.Ollama ? new OptionChanges(allowance, changes) : default;
        if (!request.ModelDefaulted && allowance is null && !askUsage && changes is not { IsEmpty: false })
        {
            return null;
        }

        var output = t_output ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(output);
        try
        {
            writer.WriteStartObject();
            var wroteOptions = false;
            var wroteStreamOptions = false;
            foreach (var property in root.EnumerateObject())
            {
                // NameEquals compares the UTF-8 name in place; property.Name would allocate a string per property.
                if (request.ModelDefaulted && property.NameEquals("model"))
                {
                    continue;
                }

                if (allowance is not null && endpoint.Style == ApiStyle.OpenAi
                    && (property.NameEquals("max_tokens") || property.NameEquals("max_completion_tokens")))
                {
                    continue;
                }

                if (ollamaOptions.Any && property.NameEquals("options"))
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        writer.WritePropertyName("options");
                        WriteOptions(writer, property.Value, ollamaOptions);
                        wroteOptions = true;
                    }

                    continue;
                }

                if (changes?.KeepAliveSeconds is { } keepAlive && property.NameEquals("keep_alive"))
                {
                    writer.WriteNumber("keep_alive", keepAlive);
                    continue;
                }

                if (askUsage && property.NameEquals("stream_options"))
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        writer.WritePropertyName("stream_options");
                        WriteWith(writer, property.Value, "include_usage", null, true);
                        wroteStreamOptions = true;
                    }

                    continue;
                }

                CopyProperty(writer, property);
            }

            if (request.ModelDefaulted)
            {
                writer.WriteString("model", request.Model);
            }

            if (ollamaOptions.Adds && !wroteOptions)
            {
                writer.WritePropertyName("options");
                WriteOptions(writer, default, ollamaOptions);
            }

            if (allowance is { } max && endpoint.Style == ApiStyle.OpenAi)
            {
                writer.WriteNumber(request.LimitField == CompletionLimitField.MaxCompletionTokens ? "max_completion_tokens" : "max_tokens", max);
            }

            if (askUsage && !wroteStreamOptions)
            {
                writer.WriteStartObject("stream_options");
                writer.WriteBoolean("include_usage", true);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.Flush();
            return output.WrittenSpan.ToArray();
        }
        finally
        {
            writer.Reset();
            output.ResetWrittenCount();
            if (output.Capacity > KeptScratchBytes)
            {
                t_output = null;
                t_writer = null;
            }
        }
    }

    /// <summary>Copies an object, replacing (or adding) one property: a number or a boolean.</summary>
    private static void WriteWith(Utf8JsonWriter writer, JsonElement source, string name, long? number, bool? boolean)
    {
        writer.WriteStartObject();
        foreach (var property in source.EnumerateObject())
        {
            if (!property.NameEquals(name))
            {
                CopyProperty(writer, property);
            }
        }

        if (number is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteBoolean(name, boolean == true);
        }

        writer.WriteEndObject();
    }

    /// <summary>Ollama's options (the client's, or none), with num_predict and num_ctx set and load-time options left out.</summary>
    private static void WriteOptions(Utf8JsonWriter writer, JsonElement source, OptionChanges changes)
    {
        writer.WriteStartObject();
        if (source.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in source.EnumerateObject())
            {
                var replaced = (changes.NumPredict is not null && property.NameEquals("num_predict"))
                    || (changes.NumCtx is not null && property.NameEquals("num_ctx"))
                    || (changes.DropLoadOptions && Guardrails.IsLoadTimeOption(property));
                if (!replaced)
                {
                    CopyProperty(writer, property);
                }
            }
        }

        if (changes.NumPredict is { } numPredict)
        {
            writer.WriteNumber("num_predict", numPredict);
        }

        if (changes.NumCtx is { } numCtx)
        {
            writer.WriteNumber("num_ctx", numCtx);
        }

        writer.WriteEndObject();
    }

    /// <summary>What changes in Ollama's options: the allowance as num_predict, and the guardrails' num_ctx and drops.</summary>
    private readonly record struct OptionChanges(long? NumPredict, long? NumCtx, bool DropLoadOptions)
    {
        public OptionChanges(long? allowance, BodyChanges? changes)
            : this(allowance, changes?.NumCtx, changes?.DropLoadOptions == true)
        {
        }

        public bool Any => NumPredict is not null || NumCtx is not null || DropLoadOptions;

        /// <summary>Whether the options must be written even when the client sent none.</summary>
        public bool Adds => NumPredict is not null || NumCtx is not null;
    }

    /// <summary>
    /// Copies a property with its value's bytes as they came: re-encoding would re-escape every string (a 100 KB
    /// prompt char by char, growing it where the default encoder escapes ' or non-ASCII text). The document was
    /// validated when parsed. A name with escapes in it goes through the writer, which unescapes it first.
    /// </summary>
    private static void CopyProperty(Utf8JsonWriter writer, JsonProperty property)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(property);
        if (name.IndexOf((byte)'\\') >= 0)
        {
            property.WriteTo(writer);
            return;
        }

        writer.WritePropertyName(name);
        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
    }
}
