using System.Buffers;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Core.Settings;

/// <summary>A context-size rule: the most a request may ask for, or the one size every request gets.</summary>
public sealed record NumCtxRule(long? Max, long? Fixed);

/// <summary>
/// The <c>num_ctx</c> rules: one per model (a name or a pattern, as in allow-lists), and a default for the rest. The
/// most specific entry that matches a model applies (an exact name before a pattern, a longer pattern before a
/// shorter one). Stored as JSON, <c>{"default": {"max": 8192}, "models": {"llama3.2:*": {"fixed": 4096}}}</c>.
/// </summary>
public sealed class NumCtxRules
{
    /// <summary>The largest context size a rule may name (Ollama's largest models take about a million tokens).</summary>
    public const long Largest = 16 * 1024 * 1024;

    public static readonly NumCtxRules None = new(null, []);

    private readonly (ModelPattern Pattern, NumCtxRule Rule)[] _models;

    // The same, most specific first, sorted once: the first match is the rule (the lookup runs on every request).
    private readonly (ModelPattern Pattern, NumCtxRule Rule)[] _mostSpecificFirst;

    private NumCtxRules(NumCtxRule? fallback, (ModelPattern Pattern, NumCtxRule Rule)[] models)
    {
        Default = fallback;
        _models = models;
        _mostSpecificFirst = [.. models.OrderByDescending(m => m.Pattern.Specificity)];
    }

    public NumCtxRule? Default { get; }

    public bool IsEmpty => Default is null && _models.Length == 0;

    /// <summary>The rule for a model, or null when none applies.</summary>
    public NumCtxRule? For(string model)
    {
        if (_models.Length == 0)
        {
            return Default;
        }

        var shortName = ModelPattern.ShortForm(model);
        foreach (var (pattern, rule) in _mostSpecificFirst)
        {
            if (pattern.Matches(shortName))
            {
                return rule;
            }
        }

        return Default;
    }

    /// <summary>From the stored JSON (which the Admin validated); null or empty is no rule.</summary>
    public static NumCtxRules FromStored(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return None;
        }

        using var document = JsonDocument.Parse(json);
        var (rules, error) = Parse(document.RootElement, "num_ctx");
        return rules ?? throw new InvalidOperationException($"The stored num_ctx rules are invalid: {error}");
    }

    /// <summary>The rules, or the first problem found, naming its place (e.g. <c>num_ctx.models.llama3.max</c>).</summary>
    public static (NumCtxRules? Rules, string? Error) Parse(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (None, null);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{field} must be an object {{\"default\": {{\"max\": N}}, \"models\": {{\"name or pattern\": {{\"fixed\": N}}}}}}, or null");
        }

        NumCtxRule? fallback = null;
        var models = new List<(ModelPattern, NumCtxRule)>();
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "default":
                    var (rule, ruleError) = ParseRule(property.Value, $"{field}.default");
                    if (ruleError is not null)
                    {
                        return (null, ruleError);
                    }

                    fallback = rule;
                    break;
                case "models" when property.Value.ValueKind == JsonValueKind.Object:
                    foreach (var model in property.Value.EnumerateObject())
                    {
                        var (pattern, patternError) = ModelPattern.Parse(model.Name);
                        if (pattern is null)
                        {
                            return (null, $"{field}.models: '{model.Name}' {patternError}");
                        }

                        var (modelRule, modelError) = ParseRule(model.Value, $"{field}.models.{model.Name}");
                        if (modelError is not null || modelRule is null)
                        {
                            return (null, modelError ?? $"{field}.models.{model.Name} must be {{\"max\": N}} or {{\"fixed\": N}}");
                        }

                        models.Add((pattern, modelRule));
                    }

                    if (models.Count > ModelPattern.MaxEntries)
                    {
                        return (null, $"{field}.models must have at most {ModelPattern.MaxEntries} entries");
                    }

                    break;
                case "models" when property.Value.ValueKind == JsonValueKind.Null:
                    break;
                case "models":
                    return (null, $"{field}.models must be an object of model names or patterns to rules");
                default:
                    return (null, $"{field}.{property.Name} is not a known field (default, models)");
            }
        }

        return (new NumCtxRules(fallback, [.. models]), null);
    }

    /// <summary>The rules as stored: canonical JSON, null when there are none.</summary>
    public string? ToStored()
    {
        if (IsEmpty)
        {
            return null;
        }

        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            if (Default is not null)
            {
                writer.WritePropertyName("default");
                WriteRule(writer, Default);
            }

            writer.WriteStartObject("models");
            foreach (var (pattern, rule) in _models)
            {
                writer.WritePropertyName(pattern.Text);
                WriteRule(writer, rule);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The stored JSON's length is bounded by <see cref="ColumnLengths.NumCtxRules"/>; null when it fits.</summary>
    public string? CheckStoredLength(string field) =>
        ToStored() is { Length: > ColumnLengths.NumCtxRules } ? $"{field} is longer than {ColumnLengths.NumCtxRules} characters as stored" : null;

    private static (NumCtxRule? Rule, string? Error) ParseRule(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{field} must be {{\"max\": N}} or {{\"fixed\": N}}, or null");
        }

        long? max = null;
        long? fixedSize = null;
        foreach (var property in value.EnumerateObject())
        {
            if (property.Name is not ("max" or "fixed"))
            {
                return (null, $"{field}.{property.Name} is not a known field (max, fixed)");
            }

            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var size) || size is < 1 or > Largest)
            {
                return (null, $"{field}.{property.Name} must be a whole number from 1 to {Largest}");
            }

            if (property.Name == "max")
            {
                max = size;
            }
            else
            {
                fixedSize = size;
            }
        }

        return (max is null) == (fixedSize is null)
            ? (null, $"{field} must name exactly one of max and fixed")
            : (new NumCtxRule(max, fixedSize), null);
    }

    private static void WriteRule(Utf8JsonWriter writer, NumCtxRule rule)
    {
        writer.WriteStartObject();
        if (rule.Max is { } max)
        {
            writer.WriteNumber("max", max);
        }
        else
        {
            writer.WriteNumber("fixed", rule.Fixed!.Value);
        }

        writer.WriteEndObject();
    }
}
