using System.Buffers;
using System.Text.Json;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Proxy.Requests;

/// <summary>
/// Writes the body sent upstream when the proxy must change it: the default model filled in, the completion
/// allowance as num_predict / max_tokens, and the usage chunk requested on OpenAI streams. Every other property is
/// copied as it came. Returns null when nothing needs changing, so the original bytes are forwarded. Unmetered
/// routes pass no reservation: only the model is filled in.
/// </summary>
public static class BodyRewriter
{
    public static byte[]? Rewrite(ProxyEndpoint endpoint, JsonElement root, ParsedRequest request, Reservation? reservation)
    {
        var allowance = reservation is { Clamped: true } ? reservation.CompletionAllowance : null;
        var askUsage = endpoint.Kind is EndpointKind.ChatCompletions or EndpointKind.Completions && request.Stream && !request.ClientWantsUsage;
        if (!request.ModelDefaulted && allowance is null && !askUsage)
        {
            return null;
        }

        var output = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            var wroteOptions = false;
            var wroteStreamOptions = false;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "model" when request.ModelDefaulted:
                        continue;
                    case "max_tokens" or "max_completion_tokens" when allowance is not null && endpoint.Style == ApiStyle.OpenAi:
                        continue;
                    case "options" when allowance is not null && endpoint.Style == ApiStyle.Ollama && property.Value.ValueKind == JsonValueKind.Object:
                        writer.WritePropertyName("options");
                        WriteWith(writer, property.Value, "num_predict", allowance.Value);
                        wroteOptions = true;
                        continue;
                    case "stream_options" when askUsage && property.Value.ValueKind == JsonValueKind.Object:
                        writer.WritePropertyName("stream_options");
                        WriteWith(writer, property.Value, "include_usage", true);
                        wroteStreamOptions = true;
                        continue;
                    case "options" when allowance is not null && endpoint.Style == ApiStyle.Ollama:
                    case "stream_options" when askUsage:
                        continue;
                    default:
                        property.WriteTo(writer);
                        break;
                }
            }

            if (request.ModelDefaulted)
            {
                writer.WriteString("model", request.Model);
            }

            if (allowance is { } max)
            {
                if (endpoint.Style == ApiStyle.Ollama && !wroteOptions)
                {
                    writer.WriteStartObject("options");
                    writer.WriteNumber("num_predict", max);
                    writer.WriteEndObject();
                }
                else if (endpoint.Style == ApiStyle.OpenAi)
                {
                    writer.WriteNumber(request.LimitField == CompletionLimitField.MaxCompletionTokens ? "max_completion_tokens" : "max_tokens", max);
                }
            }

            if (askUsage && !wroteStreamOptions)
            {
                writer.WriteStartObject("stream_options");
                writer.WriteBoolean("include_usage", true);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Copies an object, replacing (or adding) one property.</summary>
    private static void WriteWith<T>(Utf8JsonWriter writer, JsonElement source, string name, T value)
    {
        writer.WriteStartObject();
        foreach (var property in source.EnumerateObject())
        {
            if (property.Name != name)
            {
                property.WriteTo(writer);
            }
        }

        writer.WritePropertyName(name);
        JsonSerializer.Serialize(writer, value);
        writer.WriteEndObject();
    }
}
