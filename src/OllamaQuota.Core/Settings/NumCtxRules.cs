using System.Text.Json;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Settings;

/// <summary>A context-size rule: the most a request may ask for, or the one size every request gets.</summary>
public sealed record NumCtxRule(long? Max, long? Fixed);

/// <summary>
/// The <c>num_ctx</c> rules: one per model and a default for the rest (see <see cref="ModelRuleSet{TRule}"/>). Stored
/// as JSON, <c>{"default": {"max": 8192}, "models": {"llama3.2:*": {"fixed": 4096}}}</c>.
/// </summary>
public sealed class NumCtxRules
{
    /// <summary>The largest context size a rule may name (Ollama's largest models take about a million tokens).</summary>
    public const long Largest = 16 * 1024 * 1024;

    private const string RuleShape = "{\"max\": N} or {\"fixed\": N}";

    public static readonly NumCtxRules None = new(ModelRuleSet<NumCtxRule>.None);

    private readonly ModelRuleSet<NumCtxRule> _rules;

    private NumCtxRules(ModelRuleSet<NumCtxRule> rules)
    {
        _rules = rules;
    }

    public NumCtxRule? Default => _rules.Default;

    public bool IsEmpty => _rules.IsEmpty;

    /// <summary>The rule for a model, or null when none applies.</summary>
    public NumCtxRule? For(string model) => _rules.For(model);

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
        var (rules, error) = ModelRuleSet<NumCtxRule>.Parse(
            value, field, "{\"default\": {\"max\": N}, \"models\": {\"name or pattern\": {\"fixed\": N}}}", RuleShape, ParseRule);
        return rules is null ? (null, error) : (new NumCtxRules(rules), null);
    }

    /// <summary>The rules as stored: canonical JSON, null when there are none.</summary>
    public string? ToStored() => _rules.ToStored(WriteRule);

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
            return (null, $"{field} must be {RuleShape}, or null");
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
