using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace OllamaQuota.Core.Hosting;

/// <summary>
/// Parses a request body into a document that every later step can read without throwing. System.Text.Json checks
/// a string's text only when it is read (GetString, a property's Name, WriteTo), and throws there, far from the
/// request, as a 500. So the whole body is checked once, up front: valid UTF-8, valid JSON no deeper than
/// <see cref="MaxDepth"/>, no property twice in one object (two "model"s would let the proxy and Ollama each read
/// another), and no <c>\u</c> escape that is half a surrogate pair (text that is not Unicode).
/// </summary>
public static class StrictJson
{
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>The document (the caller disposes it), or why the body is refused, in words for the client.</summary>
    public static (JsonDocument? Document, string? Error) Parse(ReadOnlyMemory<byte> body)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return (null, $"The body is not valid UTF-8 (at byte {FirstInvalidByte(body.Span)}).");
        }

        // Before parsing: the parser itself unescapes property names to find duplicates, and throws on these.
        if (LoneSurrogateEscape(body.Span) is var at and >= 0)
        {
            return (null, $"The body has a \\u escape at byte {at} that is a lone surrogate: JSON text must be valid Unicode.");
        }

        try
        {
            return (JsonDocument.Parse(body, Options), null);
        }
        catch (JsonException e)
        {
            return (null, $"The body is not valid JSON: {e.Message}");
        }
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> text)
    {
        var offset = 0;
        while (Rune.DecodeFromUtf8(text[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }

    /// <summary>
    /// The offset of the first <c>\uD800</c>–<c>\uDFFF</c> escape not in a high-then-low pair, or -1. A backslash
    /// starts an escape (JSON has backslashes nowhere else); an escape that is malformed is left to the parser.
    /// </summary>
    private static int LoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var offset = 0;
        int slash;
        while ((slash = json[offset..].IndexOf((byte)'\\')) >= 0)
        {
            var at = offset + slash;
            if (!TryCodeUnit(json, at, out var unit))
            {
                offset = Math.Min(at + 2, json.Length);
                continue;
            }

            offset = at + 6;
            if (char.IsLowSurrogate(unit))
            {
                return at;
            }

            if (char.IsHighSurrogate(unit))
            {
                if (!TryCodeUnit(json, offset, out var next) || !char.IsLowSurrogate(next))
                {
                    return at;
                }

                offset += 6;
            }
        }

        return -1;
    }

    /// <summary>The UTF-16 code unit of a <c>\uXXXX</c> escape at <paramref name="at"/>, if there is one.</summary>
    private static bool TryCodeUnit(ReadOnlySpan<byte> json, int at, out char unit)
    {
        unit = '\0';
        if (json.Length < at + 6 || json[at] != (byte)'\\' || json[at + 1] != (byte)'u'
            || !ushort.TryParse(json.Slice(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        unit = (char)value;
        return true;
    }
}
