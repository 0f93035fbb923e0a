using System.Text.Json;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Settings;

/// <summary>How many requests for one model may be at Ollama at once.</summary>
public sealed record SlotLimit(int Slots);

/// <summary>
/// The fair-share slot counts: one per model and a default for the rest (see <see cref="ModelRuleSet{TRule}"/>), stored
/// as JSON <c>{"default": 4, "models": {"llama3.2:*": 2}}</c>. A model no entry covers is not scheduled: its requests go
/// to Ollama as they come. A pattern's count applies to each model it matches on its own, as Ollama's
/// <c>OLLAMA_NUM_PARALLEL</c> is per loaded model.
/// </summary>
public sealed class ModelSlotRules
{
    /// <summary>The most slots a model may be given (Ollama's parallelism is a handful; this only stops nonsense).</summary>
    public const int MostSlots = 1024;

    private const string RuleShape = "a whole number of slots";

    public static readonly ModelSlotRules None = new(ModelRuleSet<SlotLimit>.None);

    private readonly ModelRuleSet<SlotLimit> _rules;

    private ModelSlotRules(ModelRuleSet<SlotLimit> rules)
    {
        _rules = rules;
    }

    public bool IsEmpty => _rules.IsEmpty;

    /// <summary>The slots of a model, or null when it is not scheduled.</summary>
    public int? For(string model) => IsEmpty ? null : _rules.For(model)?.Slots;

    /// <summary>From the stored JSON (which the Admin validated); null or empty is none.</summary>
    public static ModelSlotRules FromStored(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return None;
        }

        using var document = JsonDocument.Parse(json);
        var (rules, error) = Parse(document.RootElement, "model_slots");
        return rules ?? throw new InvalidOperationException($"The stored model slots are invalid: {error}");
    }

    /// <summary>The rules, or the first problem found, naming its place (e.g. <c>model_slots.models.llama3</c>).</summary>
    public static (ModelSlotRules? Rules, string? Error) Parse(JsonElement value, string field)
    {
        var (rules, error) = ModelRuleSet<SlotLimit>.Parse(
            value, field, "{\"default\": N, \"models\": {\"name or pattern\": N}}", $"{RuleShape} from 1 to {MostSlots}", ParseRule);
        return rules is null ? (null, error) : (new ModelSlotRules(rules), null);
    }

    /// <summary>The rules as stored: canonical JSON, null when there are none.</summary>
    public string? ToStored() => _rules.ToStored((writer, rule) => writer.WriteNumberValue(rule.Slots));

    /// <summary>The stored JSON's length is bounded by <see cref="ColumnLengths.ModelSlots"/>; null when it fits.</summary>
    public string? CheckStoredLength(string field) =>
        ToStored() is { Length: > ColumnLengths.ModelSlots } ? $"{field} is longer than {ColumnLengths.ModelSlots} characters as stored" : null;

    private static (SlotLimit? Rule, string? Error) ParseRule(JsonElement value, string field) =>
        value.ValueKind switch
        {
            JsonValueKind.Null => (null, null),
            JsonValueKind.Number when value.TryGetInt32(out var slots) && slots is >= 1 and <= MostSlots => (new SlotLimit(slots), null),
            _ => (null, $"{field} must be {RuleShape} from 1 to {MostSlots}, or null"),
        };
}
