using System.Globalization;
using OllamaQuota.Core.Data;
using StackExchange.Redis;

namespace OllamaQuota.Core.Usage;

/// <summary>A usage event as the field/value pairs of one stream entry, and back.</summary>
public static class RedisUsageEntry
{
    // Ollama's durations: only those it reported are written, so an entry without them (also one from a proxy of an
    // earlier release) reads back as "not reported".
    private static readonly (string Field, Func<UsageEvent, long?> Get, Action<UsageEvent, long> Set)[] Durations =
    [
        ("total_ns", u => u.TotalDurationNs, (u, v) => u.TotalDurationNs = v),
        ("load_ns", u => u.LoadDurationNs, (u, v) => u.LoadDurationNs = v),
        ("prompt_eval_ns", u => u.PromptEvalDurationNs, (u, v) => u.PromptEvalDurationNs = v),
        ("eval_ns", u => u.EvalDurationNs, (u, v) => u.EvalDurationNs = v),
    ];

    /// <summary>The fields of the event's <c>XADD</c>.</summary>
    public static NameValueEntry[] ToFields(UsageEvent usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        List<NameValueEntry> fields =
        [
            new("id", usage.Id.ToString("D")),
            new("key", usage.KeyId.ToString("D")),
            new("model", usage.Model),
            new("endpoint", usage.Endpoint),
            new("prompt", usage.PromptTokens),
            new("completion", usage.CompletionTokens),
            new("status", usage.StatusCode),
            new("ms", usage.DurationMs),

            // Ticks keep the timestamp exact, so a redelivered event is the same row in every way.
            new("at", usage.CreatedAt.ToUniversalTime().Ticks),
        ];
        foreach (var (field, get, _) in Durations)
        {
            if (get(usage) is { } nanoseconds)
            {
                fields.Add(new(field, nanoseconds));
            }
        }

        // Written only when set, like the durations: an entry without it (a proxy of an earlier release) was forwarded.
        if (usage.Refused)
        {
            fields.Add(new("refused", 1));
        }

        return [.. fields];
    }

    /// <summary>The event in an entry's fields, or null when they are missing or malformed.</summary>
    public static UsageEvent? Parse(NameValueEntry[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (!field.Name.IsNull && !field.Value.IsNull)
            {
                values[field.Name!] = field.Value!;
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

        var usage = new UsageEvent
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
            Refused = values.GetValueOrDefault("refused") == "1",
        };

        // A duration that does not read as one is left unknown: the event itself, which bills the key, is kept.
        foreach (var (field, _, set) in Durations)
        {
            if (long.TryParse(values.GetValueOrDefault(field), NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds)
                && GpuTime.IsPlausible(nanoseconds))
            {
                set(usage, nanoseconds);
            }
        }

        return usage;
    }

    private static bool TryInt(Dictionary<string, string> values, string name, out int value) =>
        int.TryParse(values.GetValueOrDefault(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
