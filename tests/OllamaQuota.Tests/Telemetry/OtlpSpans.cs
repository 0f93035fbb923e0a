using System.Text;

namespace OllamaQuota.Tests.Telemetry;

/// <summary>One span as it arrived over OTLP: the instrumentation scope that made it, its name and its string attributes.</summary>
public sealed record OtlpSpan(string Scope, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// Reads the spans out of an OTLP/HTTP protobuf <c>ExportTraceServiceRequest</c>, just the fields the tests look at
/// (opentelemetry-proto: resource_spans=1 → scope_spans=2 → scope=1 (name=1), spans=2 → name=5, attributes=9 →
/// key=1, value=2 → string_value=1); everything else is skipped by its wire type.
/// </summary>
public static class OtlpSpans
{
    private const int VarintType = 0;
    private const int Fixed64Type = 1;
    private const int LengthDelimitedType = 2;
    private const int Fixed32Type = 5;

    public static IEnumerable<OtlpSpan> Read(byte[] exportRequest)
    {
        foreach (var resourceSpans in Fields(exportRequest, 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? "";
                foreach (var span in Fields(scopeSpans, 2))
                {
                    var attributes = new Dictionary<string, string>();
                    foreach (var attribute in Fields(span, 9))
                    {
                        if (Fields(attribute, 2).Select(value => Text(value, 1)).FirstOrDefault() is { } text)
                        {
                            attributes[Text(attribute, 1) ?? ""] = text;
                        }
                    }

                    yield return new OtlpSpan(scope, Text(span, 5) ?? "", attributes);
                }
            }
        }
    }

    private static string? Text(ReadOnlyMemory<byte> message, int field) =>
        Fields(message, field).Select(bytes => Encoding.UTF8.GetString(bytes.Span)).FirstOrDefault();

    /// <summary>The payloads of every length-delimited occurrence of <paramref name="field"/> in <paramref name="message"/>.</summary>
    private static List<ReadOnlyMemory<byte>> Fields(ReadOnlyMemory<byte> message, int field)
    {
        var found = new List<ReadOnlyMemory<byte>>();
        var bytes = message.Span;
        var position = 0;
        while (position < bytes.Length)
        {
            var key = ReadVarint(bytes, ref position);
            var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case VarintType:
                    ReadVarint(bytes, ref position);
                    break;
                case Fixed64Type:
                    position += 8;
                    break;
                case Fixed32Type:
                    position += 4;
                    break;
                case LengthDelimitedType:
                    var length = (int)ReadVarint(bytes, ref position);
                    if (number == field)
                    {
                        found.Add(message.Slice(position, length));
                    }

                    position += length;
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {wireType} is not used by OTLP");
            }
        }

        return found;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
