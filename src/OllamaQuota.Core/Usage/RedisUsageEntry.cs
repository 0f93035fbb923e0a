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

        // One pass over the fields, numbers read from the values as they are: the writer parses every event the proxies
        // record, so no dictionary or string per field (bench/RESULTS.md, issue 16).
        Guid? id = null, keyId = null;
        string? model = null, endpoint = null;
        long? prompt = null, completion = null, status = null, duration = null, ticks = null;
        var refused = false;
        var durations = new long?[Durations.Length];
        foreach (var field in fields)
        {
            if (field.Name.IsNull || field.Value.IsNull)
            {
                continue;
            }

            var value = field.Value;
            switch ((string?)field.Name)
            {
                case "id": id = Guid.TryParse((string?)value, out var parsedId) ? parsedId : null; break;
                case "key": keyId = Guid.TryParse((string?)value, out var parsedKey) ? parsedKey : null; break;
                case "model": model = value; break;
                case "endpoint": endpoint = value; break;
                case "prompt": prompt = Int(value); break;
                case "completion": completion = Int(value); break;
                case "status": status = Int(value); break;
                case "ms": duration = Int(value); break;
                case "at": ticks = value.TryParse(out long at) && at >= 0 && at <= DateTime.MaxValue.Ticks ? at : null; break;
                case "refused": refused = value == "1"; break;
                case var name:
                    var index = Array.FindIndex(Durations, d => d.Field == name);

                    // A duration that does not read as one is left unknown: the event itself, which bills the key, is kept.
                    if (index >= 0 && value.TryParse(out long nanoseconds) && nanoseconds >= 0 && GpuTime.IsPlausible(nanoseconds))
                    {
                        durations[index] = nanoseconds;
                    }

                    break;
            }
        }

        if (id is not { } eventId || keyId is not { } eventKey || model is null || endpoint is null
            || prompt is not { } promptTokens || completion is not { } completionTokens || status is not { } statusCode
            || duration is not { } durationMs || ticks is not { } createdTicks)
        {
            return null;
        }

        var usage = new UsageEvent
        {
            Id = eventId,
            KeyId = eventKey,
            Model = model,
            Endpoint = endpoint,
            PromptTokens = (int)promptTokens,
            CompletionTokens = (int)completionTokens,
            StatusCode = (int)statusCode,
            DurationMs = (int)durationMs,
            CreatedAt = new DateTime(createdTicks, DateTimeKind.Utc),
            Refused = refused,
        };
        for (var i = 0; i < Durations.Length; i++)
        {
            if (durations[i] is { } nanoseconds)
            {
                Durations[i].Set(usage, nanoseconds);
            }
        }

        return usage;
    }

    /// <summary>A whole number within <see cref="int"/>'s range, or null.</summary>
    private static long? Int(RedisValue value) =>
        value.TryParse(out long number) && number is >= int.MinValue and <= int.MaxValue ? number : null;
}
