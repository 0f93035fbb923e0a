using System.Globalization;
using System.Text.Json;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// Typed access to the fields of a JSON object that collects one message per bad field, named as on the wire.
/// Each getter returns whether the field was present, so PATCH can tell "absent" from "null".
/// </summary>
internal sealed class JsonFields(JsonElement body)
{
    private readonly Dictionary<string, string[]> _errors = [];

    public IDictionary<string, string[]> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void AddError(string field, string message) => _errors.TryAdd(field, [message]);

    /// <summary>Every property not in <paramref name="known"/> is an error: a typo must not be silently ignored.</summary>
    public void RejectUnknown(IEnumerable<string> known)
    {
        var allowed = known.ToHashSet(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                AddError(property.Name, "is not a known field");
            }
        }
    }

    public bool TryGetString(string field, out string? value)
    {
        value = null;
        if (!body.TryGetProperty(field, out var element))
        {
            return false;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                value = element.GetString();
                break;
            case JsonValueKind.Null:
                break;
            default:
                AddError(field, "must be a string");
                break;
        }

        return true;
    }

    /// <summary>A whole number ≥ 0, or null (unlimited).</summary>
    public bool TryGetLimit(string field, out long? value)
    {
        value = null;
        if (!body.TryGetProperty(field, out var element))
        {
            return false;
        }

        if (element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var number) || number < 0)
        {
            AddError(field, "must be zero or a positive whole number, or null for unlimited");
            return true;
        }

        value = number;
        return true;
    }

    /// <summary>The field's value as it came, for rules that take several forms.</summary>
    public bool TryGetElement(string field, out JsonElement value) => body.TryGetProperty(field, out value);

    /// <summary>An array of strings (an item that is not a string is kept as null, for the caller's rule to name), or null.</summary>
    public bool TryGetStringList(string field, out List<string?>? value)
    {
        value = null;
        if (!body.TryGetProperty(field, out var element))
        {
            return false;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                value = [.. element.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString() : null)];
                break;
            case JsonValueKind.Null:
                break;
            default:
                AddError(field, "must be an array of strings, or null");
                break;
        }

        return true;
    }

    /// <summary>An ISO 8601 date or date-time; without an offset it is taken as UTC. Null clears it.</summary>
    public bool TryGetInstant(string field, out DateTime? value)
    {
        value = null;
        if (!TryGetString(field, out var text) || text is null)
        {
            return body.TryGetProperty(field, out _);
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            AddError(field, "must be an ISO 8601 date or date-time, e.g. 2027-01-31T00:00:00Z");
            return true;
        }

        value = instant.UtcDateTime;
        return true;
    }
}
