using System.Globalization;
using System.Text.Json;

namespace OllamaQuota.Core.Settings;

/// <summary>
/// Ollama's <c>keep_alive</c>: a number of seconds (Ollama keeps the whole seconds; a negative number is forever) or a
/// Go duration string such as <c>"5m"</c>, <c>"1h30m"</c>, <c>"300ms"</c> (a negative one is forever too).
/// </summary>
public static class OllamaDuration
{
    /// <summary>Completes "must be …".</summary>
    public const string Requirement = "a duration such as \"5m\" or \"1h30m\", or a number of seconds";

    private static readonly (string Unit, double Seconds)[] Units =
    [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ];

    /// <summary>The duration in seconds (negative: forever), or null when the value is neither form.</summary>
    public static double? Seconds(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetDouble(out var number) && double.IsFinite(number) ? (number < 0 ? -1 : Math.Truncate(number)) : null,
        JsonValueKind.String => Parse(value.GetString()!),
        _ => null,
    };

    /// <summary>A Go duration string (time.ParseDuration's grammar) in seconds, or null.</summary>
    public static double? Parse(string text)
    {
        var span = text.AsSpan();
        var negative = span.StartsWith("-");
        if (negative || span.StartsWith("+"))
        {
            span = span[1..];
        }

        if (span is "0")
        {
            return 0;
        }

        if (span.IsEmpty)
        {
            return null;
        }

        double total = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !double.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && !char.IsAsciiDigit(span[unitLength]) && span[unitLength] != '.')
            {
                unitLength++;
            }

            var scale = UnitSeconds(span[..unitLength]);
            if (scale is null)
            {
                return null;
            }

            total += number * scale.Value;
            span = span[unitLength..];
        }

        return negative && total > 0 ? -1 : total;
    }

    private static double? UnitSeconds(ReadOnlySpan<char> unit)
    {
        foreach (var (name, seconds) in Units)
        {
            if (unit.SequenceEqual(name))
            {
                return seconds;
            }
        }

        return null;
    }
}
