using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Writes usage events in batches, exactly once: an event whose id is already stored is skipped, and only the
/// events actually inserted are added to the roll-ups (<see cref="UsageRollupGrains"/>), in one transaction. Redelivered batches (a retry, a
/// Redis stream entry claimed from a dead writer) therefore never count twice. SQL is the subset SQLite and
/// PostgreSQL share (INSERT … ON CONFLICT, RETURNING).
/// </summary>
public sealed partial class UsageStore(
    IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, UsageTelemetry telemetry, ILogger<UsageStore> logger)
{
    /// <summary>Rows per INSERT on PostgreSQL: 14 parameters each stays far below its parameter limit.</summary>
    public const int PostgresRowsPerStatement = 500;

    /// <summary>
    /// Rows per INSERT on SQLite: one. SQLite finds each named parameter by a linear scan of the statement's names
    /// (<c>sqlite3VListNameToNum</c>), so binding n parameters costs n²: at 50 rows of 14 that scan was a fifth of the
    /// embedded proxy's CPU under load (bench/RESULTS.md, issue 16). In process there is no round trip to save, and the
    /// one-row statement stays prepared for the whole batch.
    /// </summary>
    public const int SqliteRowsPerStatement = 1;

    /// <summary>
    /// Stores a batch as <see cref="WriteBatchAsync"/> does, except that events the database rejects for good (a value
    /// that does not fit its column) are found by halving the batch, set aside in <c>usage_dead_letters</c>, and the
    /// rest stored. Any other failure (the database unreachable, a deadlock, a missing table) throws: that is for the
    /// caller to retry, since no row is at fault.
    /// </summary>
    public async Task<StoreResult> StoreAsync(IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return new StoreResult(await WriteBatchAsync(events, cancellationToken), 0);
        }
        catch (Exception e) when (IsRejection(e))
        {
            if (events.Count == 1)
            {
                await DeadLetterAsync(events[0], e, cancellationToken);
                return new StoreResult(0, 1);
            }

            var half = events.Count / 2;
            var first = await StoreAsync([.. events.Take(half)], cancellationToken);
            var second = await StoreAsync([.. events.Skip(half)], cancellationToken);
            return new StoreResult(first.Inserted + second.Inserted, first.DeadLettered + second.DeadLettered);
        }
    }

    /// <summary>
    /// True when the database refused the data itself, which no retry can change: PostgreSQL's data exceptions (22…,
    /// e.g. a value too long for its column) and integrity violations (23…); SQLite's constraint, type and size errors.
    /// </summary>
    public static bool IsRejection(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("22", StringComparison.Ordinal) || postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteTooBig or SqliteConstraint or SqliteMismatch,
        { InnerException: { } inner } => IsRejection(inner),
        _ => false,
    };

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
            var inserted = await InsertEventsAsync(db, [.. events.DistinctBy(e => e.Id)], rowsPerStatement, cancellationToken);

            var added = events.Where(e => inserted.Contains(e.Id)).ToList();
            foreach (var rollup in UsageRollupGrains.Of(added, calendar))
            {
                await UpsertRollupsAsync(db, rollup, rowsPerStatement, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return inserted.Count;
        });
    }

    private async Task DeadLetterAsync(UsageEvent usage, Exception rejection, CancellationToken cancellationToken)
    {
        var error = rejection.GetBaseException().Message.Replace('\0', ' ');
        error = error.Length > ColumnLengths.DeadLetterError ? error[..ColumnLengths.DeadLetterError] : error;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);

        // Idempotent by event id, like the events themselves: a redelivered entry is set aside once.
        var added = await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO usage_dead_letters (event_id, payload, error, created_at) VALUES ({0}, {1}, {2}, {3}) ON CONFLICT (event_id) DO NOTHING",
            [usage.Id, JsonSerializer.Serialize(usage), error, calendar.UtcNow],
            cancellationToken);
        if (added > 0)
        {
            telemetry.RecordDeadLetter();
            LogDeadLettered(rejection, usage.Id, usage.KeyId, error);
        }
    }

    private static readonly Type[] EventColumns =
    [
        typeof(Guid), typeof(Guid), typeof(string), typeof(string), typeof(int), typeof(int), typeof(int), typeof(int), typeof(DateTime),
        typeof(long), typeof(long), typeof(long), typeof(long), typeof(bool),
    ];

    /// <summary>
    /// Inserts the events whose id is new; returns their ids. With one row per statement (SQLite) the count of changed
    /// rows says it: a <c>RETURNING</c> clause there makes SQLite buffer its output in a temporary table per statement,
    /// which went to temporary files (five times the writes of the database itself, bench/RESULTS.md).
    /// </summary>
    private static async Task<HashSet<Guid>> InsertEventsAsync(
        QuotaDbContext db, IReadOnlyList<UsageEvent> events, int rowsPerStatement, CancellationToken cancellationToken)
    {
        var oneRowEach = rowsPerStatement == 1;
        await using var insert = new ChunkedInsert(db,
            """
            INSERT INTO usage_events (id, key_id, model, endpoint, prompt_tokens, completion_tokens, status_code, duration_ms, created_at,
              total_duration_ns, load_duration_ns, prompt_eval_duration_ns, eval_duration_ns, refused) VALUES
            """,
            oneRowEach ? "ON CONFLICT (id) DO NOTHING" : "ON CONFLICT (id) DO NOTHING RETURNING id",
            EventColumns, rowsPerStatement);
        object?[][] rows =
        [
            .. events.Select(e => new object?[]
            {
                e.Id, e.KeyId, e.Model, e.Endpoint, e.PromptTokens, e.CompletionTokens, e.StatusCode, e.DurationMs, e.CreatedAt,
                e.TotalDurationNs, e.LoadDurationNs, e.PromptEvalDurationNs, e.EvalDurationNs, e.Refused,
            }),
        ];
        var inserted = new HashSet<Guid>(events.Count);
        if (oneRowEach)
        {
            var changed = await insert.ExecuteAsync(rows, cancellationToken);
            inserted.UnionWith(events.Where((_, i) => changed[i] == 1).Select(e => e.Id));
        }
        else
        {
            await insert.ExecuteReaderAsync(rows, reader => inserted.Add(reader.GetGuid(0)), cancellationToken);
        }

        return inserted;
    }

    /// <summary>Adds the rows of <paramref name="rollup"/> to its table: a new row, or its sums to the row there.</summary>
    private static async Task UpsertRollupsAsync(QuotaDbContext db, RollupRows rollup, int rowsPerStatement, CancellationToken cancellationToken)
    {
        var keys = rollup.KeyColumns.Select(k => k.Name).ToList();
        await using var upsert = new ChunkedInsert(db,
            $"INSERT INTO {rollup.Table} ({string.Join(", ", keys.Concat(rollup.SumColumns))}) VALUES",
            $"ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET "
                + string.Join(", ", rollup.SumColumns.Select(column => $"{column} = {rollup.Table}.{column} + excluded.{column}")),
            [.. rollup.KeyColumns.Select(k => k.Type), .. rollup.SumColumns.Select(_ => typeof(long))],
            rowsPerStatement);
        await upsert.ExecuteAsync(rollup.Rows, cancellationToken);
    }

    private const int SqliteTooBig = 18;
    private const int SqliteConstraint = 19;
    private const int SqliteMismatch = 20;

    [LoggerMessage(EventId = 3010, Level = LogLevel.Error,
        Message = "The database refused usage event {EventId} of key {KeyId} for good ({Reason}); it is set aside in usage_dead_letters and the rest of its batch is stored")]
    private partial void LogDeadLettered(Exception exception, Guid eventId, Guid keyId, string reason);
}

/// <param name="Inserted">Events stored now (not stored before).</param>
/// <param name="DeadLettered">Events set aside as dead letters.</param>
public readonly record struct StoreResult(int Inserted, int DeadLettered);
