namespace OllamaQuota.Core.Data;

/// <summary>
/// Fills the overview's coarser roll-ups (<c>usage_model_daily</c>, <c>usage_key_monthly</c>) from <c>usage_daily</c>,
/// for the migration that creates them: a database upgraded with usage in it shows the same overview as before. The
/// usage events are not read (retention may have pruned them; the roll-ups are kept whole). One constant per provider:
/// only the month of a day is spelled differently (SQLite stores a date as 'yyyy-MM-dd' text).
/// </summary>
public static class UsageRollupBackfill
{
    private const string Sums =
        "requests, prompt_tokens, completion_tokens, gpu_duration_ns, timed_requests, errors, refused_rate_limited, refused_unavailable";

    private const string SumsOfDaily =
        "SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(gpu_duration_ns), SUM(timed_requests), SUM(errors), SUM(refused_rate_limited), SUM(refused_unavailable)";

    private const string ModelDaily =
        $"INSERT INTO usage_model_daily (day, model, {Sums}) SELECT day, model, {SumsOfDaily} FROM usage_daily GROUP BY day, model;";

    public const string PostgreSql = ModelDaily + $"""

        INSERT INTO usage_key_monthly (month, key_id, {Sums})
        SELECT CAST(date_trunc('month', day) AS date), key_id, {SumsOfDaily} FROM usage_daily GROUP BY 1, 2;
        """;

    public const string Sqlite = ModelDaily + $"""

        INSERT INTO usage_key_monthly (month, key_id, {Sums})
        SELECT substr(day, 1, 8) || '01', key_id, {SumsOfDaily} FROM usage_daily GROUP BY 1, 2;
        """;
}
