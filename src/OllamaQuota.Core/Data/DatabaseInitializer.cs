using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Core.Data;

/// <summary>Applies migrations (the explicit <c>init-db</c> step) and checks, at service start, that they were applied.</summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<QuotaDbContext> contexts,
    DatabaseUrl database,
    SettingsDefaults defaults)
{
    public const string InitCommandHint = "dotnet run --project src/OllamaQuota.Admin -- init-db";

    /// <summary>Migrates and seeds; safe to run any number of times. Returns the migrations it applied.</summary>
    public async Task<IReadOnlyList<string>> InitializeAsync(CancellationToken cancellationToken)
    {
        if (database.SqlitePath is { } path && Path.GetDirectoryName(path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);

        if (database.Provider == DatabaseProvider.Sqlite)
        {
            // WAL lets the proxy's usage writer and the admin's reads proceed side by side.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        if (!await db.Settings.AnyAsync(cancellationToken))
        {
            db.Settings.Add(new SettingsRow { OllamaUrl = defaults.OllamaUrl, DefaultModel = defaults.DefaultModel });
            await db.SaveChangesAsync(cancellationToken);
        }

        return pending;
    }

    /// <summary>Throws <see cref="DatabaseNotReadyException"/> unless every migration has been applied.</summary>
    public async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (database.SqlitePath is { } path && !File.Exists(path))
        {
            throw NotReady($"the SQLite file {path} does not exist");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        IReadOnlyList<string> pending;
        try
        {
            pending = [.. await db.Database.GetPendingMigrationsAsync(cancellationToken)];
        }
        catch (SqliteException e)
        {
            throw NotReady($"the database cannot be read ({e.Message})");
        }

        if (pending.Count > 0)
        {
            throw NotReady($"{pending.Count} migration(s) pending ({string.Join(", ", pending)})");
        }
    }

    private DatabaseNotReadyException NotReady(string reason) =>
        new($"The database {database.Display} is not initialised: {reason}. Run `{InitCommandHint}` first.");
}
