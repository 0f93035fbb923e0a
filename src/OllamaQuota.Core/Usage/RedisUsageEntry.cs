using System.Globalization;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Redis;

namespace OllamaQuota.Core.Usage;

/// <summary>A usage event as the field/value pairs of one stream entry, and back.</summary>
public static class RedisUsageEntry
{
    /// <summary>The arguments of <c>XADD</c> after the stream key and id: field, value, field, value…</summary>
    public static RedisArgument[] ToFields(UsageEvent usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return
        [
            "id", usage.Id.ToString("D"),
            "key", usage.KeyId.ToString("D"),
            "model", usage.Model,
            "endpoint", usage.Endpoint,
            "prompt", usage.PromptTokens,
            "completion", usage.CompletionTokens,
            "status", usage.StatusCode,
            "ms", usage.DurationMs,

            // Ticks keep the timestamp exact, so a redelivered event is the same row in every way.
            "at", usage.CreatedAt.ToUniversalTime().Ticks,
        ];
    }

    /// <summary>The event in an entry's fields, or null when they are missing or malformed.</summary>
    public static UsageEvent? Parse(RespValue fields)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var items = fields.AsArray();
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            if (items[i].AsString() is { } name && items[i + 1].AsString() is { } value)
            {
                values[name] = value;
            }
        }

        if (!Guid.TryParse(values.GetValueOrDefault("id"), out var id)
            || !Guid.TryParse(values.GetValueOrDefault("key"), out var keyId)
            || values.GetValueOrDefault("model") is not { } model
            || values.GetValueOrDefault("endpoint") is not { } endpoint
            || !TryInt(values, "prompt", out var prompt)
            || !TryInt(values, "completion", out var completion)
            || !TryInt(values, "status", out var status)
            || !TryInt(values, "ms", out var duration)
            || !long.TryParse(values.GetValueOrDefault("at"), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks)
        {
            return null;
        }

        return new UsageEvent
        {
            Id = id,
            KeyId = keyId,
            Model = model,
            Endpoint = endpoint,
            PromptTokens = prompt,
            CompletionTokens = completion,
            StatusCode = status,
            DurationMs = duration,
            CreatedAt = new DateTime(ticks, DateTimeKind.Utc),
        };
    }

    private static bool TryInt(Dictionary<string, string> values, string name, out int value) =>
        int.TryParse(values.GetValueOrDefault(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
