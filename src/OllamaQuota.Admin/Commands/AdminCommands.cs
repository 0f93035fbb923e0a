using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Admin.Commands;

/// <summary>
/// The command-line tasks: <c>init-db</c> (migrate, idempotent) and <c>create-key</c> (prints the plaintext once).
/// Run as <c>dotnet run --project src/OllamaQuota.Admin -- &lt;command&gt;</c>; they read the same configuration as
/// the services (environment, then .env).
/// </summary>
public static class AdminCommands
{
    private const string Usage = """
        usage:
          init-db                       create or upgrade the database (safe to run again)
          create-key --name NAME [--daily-tokens N] [--monthly-tokens N]
                     [--daily-requests N] [--monthly-requests N]
                     [--requests-per-minute N] [--tokens-per-minute N]
                     [--requests-per-hour N] [--tokens-per-hour N]
                     [--max-concurrent-requests N] [--expires-at 2027-01-31T00:00:00Z]
                     [--allowed-models 'llama3.2:*,qwen2.5:7b']
                     [--owner 'Team Alice' | --owner OWNER_ID]
                                        create an API key and print it once
        """;

    private static readonly string[] Commands = ["init-db", "create-key", "help", "--help"];

    public static bool IsCommand(string[] args) => args is [var first, ..] && Commands.Contains(first);

    public static Task<int> RunAsync(string[] args) => StartupErrors.RunOrExplainAsync(args[0] switch
    {
        "init-db" => () => InitDatabaseAsync(CancellationToken.None),
        "create-key" => () => CreateKeyAsync(args[1..], CancellationToken.None),
        _ => () => Console.Out.WriteLineAsync(Usage),
    });

    private static async Task InitDatabaseAsync(CancellationToken cancellationToken)
    {
        await using var services = BuildServices();
        var database = services.GetRequiredService<DatabaseUrl>();
        var applied = await services.GetRequiredService<DatabaseInitializer>().InitializeAsync(cancellationToken);
        await Console.Out.WriteLineAsync(applied.Count == 0
            ? $"Database {database.Display} is up to date."
            : $"Database {database.Display}: applied {string.Join(", ", applied)}.");
    }

    private static async Task CreateKeyAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = ParseOptions(args);
        string? Take(string name) => options.Remove(name, out var value) ? value : null;

        var name = Take("name");
        // Each limit's option is its Admin API field with dashes: --daily-tokens, --requests-per-minute, …
        var limits = QuotaLimits.From(kind =>
        {
            var option = kind.ToWire().Replace('_', '-');
            return ParseLimit(option, Take(option));
        });
        var expiresAt = ParseInstant("expires-at", Take("expires-at"));
        var allowedModels = Take("allowed-models")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ownerOption = Take("owner");
        if (options.Count > 0)
        {
            throw new ArgumentException($"unknown option --{options.Keys.First()}\n{Usage}");
        }

        await using var services = BuildServices();
        await services.GetRequiredService<DatabaseInitializer>().EnsureReadyAsync(cancellationToken);
        var now = DateTime.UtcNow;
        var (models, modelsError) = ModelAccess.Check(allowedModels);
        var problem = ApiKeyRules.CheckName(name) is { } nameError ? $"--name {nameError}"
            : ApiKeyRules.CheckExpiry(expiresAt, now) is { } expiryError ? $"--expires-at {expiryError}"
            : modelsError is not null ? $"--allowed-models {modelsError}"
            : null;
        if (problem is not null)
        {
            throw new ArgumentException(problem);
        }

        var (key, plaintext) = ApiKeyFactory.Create(name!, limits, expiresAt, now);
        key.AllowedModels = models is { Length: > 0 } ? models : null;
        var contexts = services.GetRequiredService<IDbContextFactory<QuotaDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (ownerOption is not null)
            {
                key.Owner = await FindOwnerAsync(db, ownerOption, cancellationToken);
                key.OwnerId = key.Owner.Id;
            }

            db.ApiKeys.Add(key);
            AuditTrail.Record(db, AuditActor.CommandLine, AuditActions.KeyCreate, AuditSnapshots.Target(key), null, AuditSnapshots.Of(key, now), now);
            await db.SaveChangesAsync(cancellationToken);
        }

        await Console.Out.WriteLineAsync($"""
            Created key '{key.Name}' (id {key.Id}, prefix {key.KeyPrefix}).
            Limits: {string.Join(", ", QuotaLimitKindExtensions.All.Select(kind => $"{kind.ToWire().Replace('_', ' ')} {Show(limits.Amount(kind))}"))}; expires {key.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}.
            Models: {(key.AllowedModels is { } allowed ? string.Join(", ", allowed) : "all")}.
            Owner: {(key.Owner is { } owner ? $"{owner.Name} (id {owner.Id})" : "none")}.

            {plaintext}

            This is the only time the key is shown: store it now.
            """);
    }

    /// <summary>
    /// The owner <c>--owner</c> names: by id, or by its exact name when that is one owner's. A name several owners share
    /// is refused, saying to give the id.
    /// </summary>
    private static async Task<Owner> FindOwnerAsync(QuotaDbContext db, string nameOrId, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(nameOrId, out var id))
        {
            return await db.Owners.FirstOrDefaultAsync(o => o.Id == id, cancellationToken)
                ?? throw new ArgumentException($"--owner: there is no owner with id {id} (GET /api/owners lists them)");
        }

        var name = nameOrId.Trim();
        var named = await db.Owners.Where(o => o.Name == name).Take(2).ToListAsync(cancellationToken);
        return named switch
        {
            [var owner] => owner,
            [] => throw new ArgumentException($"--owner: there is no owner named '{name}' (GET /api/owners lists them; create one with POST /api/owners)"),
            _ => throw new ArgumentException($"--owner: several owners are named '{name}'; give the id of the one you mean"),
        };
    }

    private static ServiceProvider BuildServices()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddDotEnvFile(Directory.GetCurrentDirectory());
        builder.AddQuotaDatabase();
        return builder.Services.BuildServiceProvider();
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --option value, got '{args[i]}'\n{Usage}");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    private static long? ParseLimit(string option, string? value) =>
        value is null ? null
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit
        : throw new ArgumentException($"--{option} must be zero or a positive whole number, got '{value}'");

    private static DateTime? ParseInstant(string option, string? value) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) ? instant.UtcDateTime
        : throw new ArgumentException($"--{option} must be an ISO 8601 date or date-time, got '{value}'");

    private static string Show(long? limit) => limit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";
}
