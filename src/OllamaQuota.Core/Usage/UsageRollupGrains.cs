using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// The rows one batch adds to one roll-up table: values in the order of its key columns, then its sums (each a long).
/// </summary>
public sealed record RollupRows(
    string Table, IReadOnlyList<(string Name, Type Type)> KeyColumns, IReadOnlyList<string> SumColumns, IReadOnlyList<object[]> Rows);

/// <summary>
/// The roll-up grains a batch of usage events is added to, in the writer's transaction.
/// <list type="bullet">
/// <item><c>usage_daily</c> (key, day, model): what quota counters are rebuilt from and a key's own usage is read from.</item>
/// <item><c>usage_key_monthly</c> (month, key): the overview's top keys and by-owner table for a month, one row per key
/// with usage instead of one per key, day and model — at 10 million events, ~100 times fewer rows to sum.</item>
/// <item><c>usage_model_daily</c> (day, model): the overview's totals, by-model table and chart, a handful of rows per
/// day whatever the number of keys.</item>
/// </list>
/// Today's top keys and owners are still read from <c>usage_daily</c>: a single day's rows, found by its index. A grain
/// per (day, key) would halve those at the cost of one more upsert per batch on every writer. The grains carry no owner:
/// an owner's usage is the usage of the keys it holds now (joined through <c>api_keys.owner_id</c>), as its quota counts
/// it, so a key that moves takes its history along. Each batch's rows are sorted by the table's key, and every writer
/// fills the tables in this order, so concurrent writers lock rows in one order and cannot deadlock;
/// <c>usage_model_daily</c>, whose few rows every batch of the day updates, comes last, to hold its locks the shortest.
/// </summary>
public static class UsageRollupGrains
{
    /// <summary>The sums of every grain (<see cref="IUsageMeasures"/>).</summary>
    private static readonly string[] Measures =
        ["requests", "prompt_tokens", "completion_tokens", "gpu_duration_ns", "timed_requests", "errors", "refused_rate_limited", "refused_unavailable"];

    /// <summary>Ollama's durations, kept per key and day only.</summary>
    private static readonly string[] Durations = ["total_duration_ns", "load_duration_ns", "prompt_eval_duration_ns", "eval_duration_ns"];

    public static IEnumerable<RollupRows> Of(IReadOnlyCollection<UsageEvent> events, QuotaCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var days = events.Select(e => (Event: e, Day: calendar.DayOf(e.CreatedAt))).ToList();

        yield return new RollupRows("usage_daily", [("key_id", typeof(Guid)), ("day", typeof(DateOnly)), ("model", typeof(string))], [.. Measures, .. Durations], [.. days
            .GroupBy(e => (e.Event.KeyId, e.Day, e.Event.Model), e => e.Event)
            .OrderBy(g => g.Key.KeyId).ThenBy(g => g.Key.Day).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
            .Select(g => (object[])[g.Key.KeyId, g.Key.Day, g.Key.Model, .. SumsOf(g), .. DurationsOf(g)])]);

        yield return new RollupRows("usage_key_monthly", [("month", typeof(DateOnly)), ("key_id", typeof(Guid))], Measures, [.. days
            .GroupBy(e => (Month: new DateOnly(e.Day.Year, e.Day.Month, 1), e.Event.KeyId), e => e.Event)
            .OrderBy(g => g.Key.Month).ThenBy(g => g.Key.KeyId)
            .Select(g => (object[])[g.Key.Month, g.Key.KeyId, .. SumsOf(g)])]);

        yield return new RollupRows("usage_model_daily", [("day", typeof(DateOnly)), ("model", typeof(string))], Measures, [.. days
            .GroupBy(e => (e.Day, e.Event.Model), e => e.Event)
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
            .Select(g => (object[])[g.Key.Day, g.Key.Model, .. SumsOf(g)])]);
    }

    /// <summary>The values of <see cref="Measures"/>, in its order.</summary>
    private static object[] SumsOf(IEnumerable<UsageEvent> list) =>
        [
            (long)list.Count(UsageCounting.CountsAsRequest),
            list.Sum(e => (long)e.PromptTokens),
            list.Sum(e => (long)e.CompletionTokens),
            list.Sum(e => GpuTime.Of(e) ?? 0),
            (long)list.Count(e => GpuTime.Of(e) is not null),
            (long)list.Count(UsageCounting.IsError),
            (long)list.Count(e => e.Refused && e.StatusCode == UsageCounting.RateLimitedStatus),
            (long)list.Count(e => e.Refused && e.StatusCode == UsageCounting.UnavailableStatus),
        ];

    /// <summary>The values of <see cref="Durations"/>, in its order; an event that reported none adds nothing.</summary>
    private static object[] DurationsOf(IEnumerable<UsageEvent> events) =>
    [
        events.Sum(e => e.TotalDurationNs ?? 0),
        events.Sum(e => e.LoadDurationNs ?? 0),
        events.Sum(e => e.PromptEvalDurationNs ?? 0),
        events.Sum(e => e.EvalDurationNs ?? 0),
    ];
}
