using System.Buffers;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Core.Settings;

/// <summary>
/// Per-model settings: one rule per model (a name or a pattern, as in allow-lists) and a default for the rest, stored
/// as JSON <c>{"default": RULE, "models": {"name or pattern": RULE}}</c>. The most specific entry that matches a model
/// applies (an exact name before a pattern, a longer pattern before a shorter one). The rule's own shape is the
/// caller's (<see cref="NumCtxRules"/>, <see cref="ModelSlotRules"/>).
/// </summary>
public sealed class ModelRuleSet<TRule>
    where TRule : class
{
    /// <summary>Reads one rule at the given place (e.g. <c>num_ctx.models.llama3</c>); null with no error is "no rule".</summary>
    public delegate (TRule? Rule, string? Error) RuleParser(JsonElement value, string field);

    private readonly (ModelPattern Pattern, TRule Rule)[] _models;

    // The same, most specific first, sorted once: the first match is the rule (the lookup runs on every request).
    private readonly (ModelPattern Pattern, TRule Rule)[] _mostSpecificFirst;

    private ModelRuleSet(TRule? fallback, (ModelPattern Pattern, TRule Rule)[] models)
    {
        Default = fallback;
        _models = models;
        _mostSpecificFirst = [.. models.OrderByDescending(m => m.Pattern.Specificity)];
    }

    public static ModelRuleSet<TRule> None { get; } = new(null, []);

    public TRule? Default { get; }

    public bool IsEmpty => Default is null && _models.Length == 0;

    /// <summary>The rule for a model, or null when none applies.</summary>
    public TRule? For(string model)
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

    /// <summary>The rules, or the first problem found, naming its place.</summary>
    /// <param name="shape">The shape of the whole value, for the message when it is not an object.</param>
    /// <param name="ruleShape">The shape of one rule, for the message when a model's rule is null.</param>
    public static (ModelRuleSet<TRule>? Rules, string? Error) Parse(JsonElement value, string field, string shape, string ruleShape, RuleParser parseRule)
    {
        ArgumentNullException.ThrowIfNull(parseRule);
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (None, null);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{field} must be an object {shape}, or null");
        }

        TRule? fallback = null;
        var models = new List<(ModelPattern, TRule)>();
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "default":
                    var (rule, ruleError) = parseRule(property.Value, $"{field}.default");
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

                        var (modelRule, modelError) = parseRule(model.Value, $"{field}.models.{model.Name}");
                        if (modelError is not null || modelRule is null)
                        {
                            return (null, modelError ?? $"{field}.models.{model.Name} must be {ruleShape}");
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

        return (new ModelRuleSet<TRule>(fallback, [.. models]), null);
    }

    /// <summary>The rules as stored: canonical JSON, null when there are none.</summary>
    public string? ToStored(Action<Utf8JsonWriter, TRule> writeRule)
    {
        ArgumentNullException.ThrowIfNull(writeRule);
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
                writeRule(writer, Default);
            }

            writer.WriteStartObject("models");
            foreach (var (pattern, rule) in _models)
            {
                writer.WritePropertyName(pattern.Text);
                writeRule(writer, rule);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
