using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// An INSERT of many rows in the context's current transaction, sent as statements of up to
/// a given number of rows each. A statement's text and its parameters (typed by the provider's own
/// type mappings, as EF's raw SQL would type them) are made once per size and reused; for each chunk only the values
/// are bound again, so the provider can keep the statement prepared.
/// </summary>
internal sealed class ChunkedInsert : IAsyncDisposable
{
    private readonly DbContext db;
    private readonly string head;
    private readonly string tail;
    private readonly RelationalTypeMapping[] columns;
    private readonly int rowsPerStatement;
    private readonly Dictionary<int, DbCommand> commands = [];

    /// <param name="db">Its connection and current transaction run the statements.</param>
    /// <param name="head">The statement up to and including <c>VALUES</c>.</param>
    /// <param name="tail">What follows the rows (<c>ON CONFLICT …</c>, <c>RETURNING …</c>).</param>
    /// <param name="columns">The CLR type of each column, in the order of the rows' values.</param>
    /// <param name="rowsPerStatement">The most rows one statement carries.</param>
    public ChunkedInsert(DbContext db, string head, string tail, Type[] columns, int rowsPerStatement)
    {
        this.db = db;
        this.head = head;
        this.tail = tail;
        this.rowsPerStatement = rowsPerStatement;
        var mappings = db.GetService<IRelationalTypeMappingSource>();
        this.columns = [.. columns.Select(column =>
            mappings.FindMapping(column) ?? throw new InvalidOperationException($"The database provider has no mapping for {column}."))];
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> (each one value per column, null for SQL NULL); returns how many rows each
    /// statement changed, in order.
    /// </summary>
    public async Task<List<int>> ExecuteAsync(IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        var changed = new List<int>(rows.Count / rowsPerStatement + 1);
        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            changed.Add(await Bind(rows, start).ExecuteNonQueryAsync(cancellationToken));
        }

        return changed;
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> as <see cref="ExecuteAsync"/> does, and hands each row the statements return
    /// (their <c>RETURNING</c> clause) to <paramref name="read"/>.
    /// </summary>
    public async Task ExecuteReaderAsync(IReadOnlyList<object?[]> rows, Action<DbDataReader> read, CancellationToken cancellationToken)
    {
        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            await using var reader = await Bind(rows, start).ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                read(reader);
            }
        }
    }

    private DbCommand Bind(IReadOnlyList<object?[]> rows, int start)
    {
        var count = Math.Min(rowsPerStatement, rows.Count - start);
        var command = CommandFor(count);
        for (var row = 0; row < count; row++)
        {
            var values = rows[start + row];
            for (var column = 0; column < columns.Length; column++)
            {
                var value = values[column] is { } given ? columns[column].Converter?.ConvertToProvider(given) ?? given : null;
                command.Parameters[row * columns.Length + column].Value = value ?? DBNull.Value;
            }
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in commands.Values)
        {
            await command.DisposeAsync();
        }
    }

    private DbCommand CommandFor(int rows)
    {
        if (commands.TryGetValue(rows, out var made))
        {
            return made;
        }

        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var names = db.GetService<ISqlGenerationHelper>();
        var sql = new StringBuilder(head).Append(' ');
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < columns.Length; column++)
            {
                var name = "p" + command.Parameters.Count;

                // Typed by the mapping, a parameter can hold NULL too: the provider knows its type without a value.
                command.Parameters.Add(columns[column].CreateParameter(command, name, null, nullable: true));
                sql.Append(column == 0 ? "" : ", ").Append(names.GenerateParameterNamePlaceholder(name));
            }

            sql.Append(')');
        }

        command.CommandText = sql.Append(' ').Append(tail).ToString();
        commands[rows] = command;
        return command;
    }
}
