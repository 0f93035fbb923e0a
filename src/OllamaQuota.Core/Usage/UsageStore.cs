using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Writes usage events in batches, exactly once: an event whose id is already stored is skipped, and only the
/// events actually inserted are added to the daily roll-ups, in one transaction. Redelivered batches (a retry, a
/// Redis stream entry claimed from a dead writer) therefore never count twice. SQL is the subset SQLite and
/// PostgreSQL share (INSERT … ON CONFLICT, RETURNING).
/// </summary>
public sealed class UsageStore(IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar)
{
    /// <summary>Rows per INSERT on PostgreSQL: 9 parameters each stays far below its parameter limit.</summary>
    public const int PostgresRowsPerStatement = 500;

    /// <summary>
    /// Rows per INSERT on SQLite. Microsoft.Data.Sqlite binds parameters by name, a cost that grows with the square of
    /// their number per statement: 500 rows made the writer cost more than the requests it recorded (bench/RESULTS.md).
    /// </summary>
    public const int SqliteRowsPerStatement = 50;

    /// <summary>Returns how many of <paramref name="events"/> were new.</summary>
    public async Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rowsPerStatement = db.Database.IsSqlite() ? SqliteRowsPerStatement : PostgresRowsPerStatement;
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var inserted = new HashSet<Guid>();
            foreach (var chunk in events.DistinctBy(e => e.Id).Chunk(rowsPerStatement))
            {
                inserted.UnionWith(await InsertEventsAsync(db, chunk, cancellationToken));
            }

            var rollups = events
                .Where(e => inserted.Contains(e.Id))
                .GroupBy(e => (e.KeyId, Day: calendar.DayOf(e.CreatedAt), e.Model))

                // Sorted so that concurrent writers lock roll-up rows in the same order and cannot deadlock.
                .OrderBy(g => g.Key.KeyId).ThenBy(g => g.Key.Day).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
                .Select(g => new UsageDaily
                {
                    KeyId = g.Key.KeyId,
                    Day = g.Key.Day,
                    Model = g.Key.Model,
                    Requests = g.Count(UsageCounting.CountsAsRequest),
                    PromptTokens = g.Sum(e => (long)e.PromptTokens),
                    CompletionTokens = g.Sum(e => (long)e.CompletionTokens),
                })
                .ToList();
            foreach (var chunk in rollups.Chunk(rowsPerStatement))
            {
                await UpsertRollupsAsync(db, chunk, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return inserted.Count;
        });
    }

    private static async Task<List<Guid>> InsertEventsAsync(QuotaDbContext db, UsageEvent[] events, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder(
            "INSERT INTO usage_events (id, key_id, model, endpoint, prompt_tokens, completion_tokens, status_code, duration_ms, created_at) VALUES ");
        var parameters = new List<object>(events.Length * 9);
        foreach (var e in events)
        {
            sql.Append(parameters.Count == 0 ? "(" : ", (");
            AppendParameters(sql, parameters, e.Id, e.KeyId, e.Model, e.Endpoint, e.PromptTokens, e.CompletionTokens, e.StatusCode, e.DurationMs, e.CreatedAt);
            sql.Append(')');
        }

        sql.Append(" ON CONFLICT (id) DO NOTHING RETURNING id AS \"Value\"");
        return await db.Database.SqlQueryRaw<Guid>(sql.ToString(), [.. parameters]).ToListAsync(cancellationToken);
    }

    private static Task UpsertRollupsAsync(QuotaDbContext db, UsageDaily[] rows, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("INSERT INTO usage_daily (key_id, day, model, requests, prompt_tokens, completion_tokens) VALUES ");
        var parameters = new List<object>(rows.Length * 6);
        foreach (var row in rows)
        {
            sql.Append(parameters.Count == 0 ? "(" : ", (");
            AppendParameters(sql, parameters, row.KeyId, row.Day, row.Model, row.Requests, row.PromptTokens, row.CompletionTokens);
            sql.Append(')');
        }

        sql.Append("""
             ON CONFLICT (key_id, day, model) DO UPDATE SET
              requests = usage_daily.requests + excluded.requests,
              prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
              completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens
            """);
        return db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, cancellationToken);
    }

    /// <summary>Appends "{0}, {1}, …" placeholders; EF converts each value with the provider's own type mapping.</summary>
    private static void AppendParameters(StringBuilder sql, List<object> parameters, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            sql.Append(i == 0 ? "{" : ", {").Append(parameters.Count).Append('}');
            parameters.Add(values[i]);
        }
    }
}
