using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Admin.Activity;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Apis;

public static class ApiKeysApi
{
    private const string AllowedModelsField = "allowed_models";

    private static readonly string[] CreateFields = ["name", "expires_at", AllowedModelsField, "owner_id", .. ApiKeyRules.LimitFields];

    private const int MostKeysPerPage = 1000;

    private static readonly string[] UpdateFields = ["expires_at", AllowedModelsField, .. ApiKeyRules.LimitFields];

    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", ListKeys).WithName("ListApiKeys");
        keys.MapGet("/{id:guid}", GetKey).WithName("GetApiKey");
        keys.MapPost("/", CreateKey).WithName("CreateApiKey");
        keys.MapPut("/{id:guid}/deactivate", DeactivateKey).WithName("DeactivateApiKey");
        keys.MapPatch("/{id:guid}/quota", UpdateQuota).WithName("UpdateApiKeyQuota");
        keys.MapApiKeyLifecycleApi();
        return api;
    }

    /// <summary>
    /// Keys with their usage and requests in flight, searched, filtered, sorted and paged in the database. Without
    /// <c>limit</c> every match is listed; the <c>X-Total-Count</c> header always carries how many keys match.
    /// </summary>
    /// <param name="search">Part of a key's name or prefix, any case.</param>
    /// <param name="status">active, deactivated, expired or deleted.</param>
    /// <param name="sort">created (the default), name, prefix or expires; <paramref name="dir"/> asc or desc.</param>
    /// <param name="includeDeleted">Deleted keys are left out unless asked for (or <paramref name="status"/> is deleted).</param>
    /// <param name="ownerId">Only the keys this owner holds.</param>
    public static async Task<Results<Ok<List<ApiKeyResponse>>, ValidationProblem>> ListKeys(
        string? search, string? status, string? sort, string? dir, int? offset, int? limit, HttpResponse response,
        IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken,
        [FromQuery(Name = "include_deleted")] bool includeDeleted = false,
        [FromQuery(Name = "owner_id")] Guid? ownerId = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not (null or "" or "active" or "deactivated" or "expired" or "deleted"))
        {
            errors["status"] = ["must be active, deactivated, expired or deleted"];
        }

        if (sort is not (null or "" or "created" or "name" or "prefix" or "expires"))
        {
            errors["sort"] = ["must be created, name, prefix or expires"];
        }

        if (dir is not (null or "" or "asc" or "desc"))
        {
            errors["dir"] = ["must be asc or desc"];
        }

        if (offset is < 0)
        {
            errors["offset"] = ["must be zero or more"];
        }

        if (limit is < 1 or > MostKeysPerPage)
        {
            errors["limit"] = [$"must be between 1 and {MostKeysPerPage}"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = calendar.UtcNow;
        var matches = db.ApiKeys.AsNoTracking().Include(k => k.Owner).Where(k => includeDeleted || status == "deleted" || k.DeletedAt == null);
        if (ownerId is { } owner)
        {
            matches = matches.Where(k => k.OwnerId == owner);
        }

        if (search?.Trim().ToLowerInvariant() is { Length: > 0 } part)
        {
            matches = matches.Where(k => k.Name.ToLower().Contains(part) || k.KeyPrefix.ToLower().Contains(part));
        }

        matches = status switch
        {
            "active" => matches.Where(k => k.DeletedAt == null && k.IsActive && (k.ExpiresAt == null || k.ExpiresAt > now)),
            "expired" => matches.Where(k => k.DeletedAt == null && k.IsActive && k.ExpiresAt != null && k.ExpiresAt <= now),
            "deactivated" => matches.Where(k => k.DeletedAt == null && !k.IsActive),
            "deleted" => matches.Where(k => k.DeletedAt != null),
            _ => matches,
        };

        response.Headers["X-Total-Count"] = (await matches.CountAsync(cancellationToken)).ToString(CultureInfo.InvariantCulture);
        var ascending = dir == "asc" || (dir is null or "" && sort is "name" or "prefix");
        var ordered = (sort, ascending) switch
        {
            ("name", true) => matches.OrderBy(k => k.Name.ToLower()),
            ("name", false) => matches.OrderByDescending(k => k.Name.ToLower()),
            ("prefix", true) => matches.OrderBy(k => k.KeyPrefix),
            ("prefix", false) => matches.OrderByDescending(k => k.KeyPrefix),
            ("expires", true) => matches.OrderBy(k => k.ExpiresAt == null).ThenBy(k => k.ExpiresAt),
            ("expires", false) => matches.OrderBy(k => k.ExpiresAt == null).ThenByDescending(k => k.ExpiresAt),
            (_, true) => matches.OrderBy(k => k.CreatedAt),
            _ => matches.OrderByDescending(k => k.CreatedAt),
        };
        var page = ordered.ThenBy(k => k.Id).Skip(offset ?? 0);
        var keys = await (limit is { } size ? page.Take(size) : page).ToListAsync(cancellationToken);

        // Usage of the listed keys only: a page of 100,000 keys sums the roll-ups of its own.
        var activities = await activity.ReadAsync(db, limit is null ? null : [.. keys.Select(k => k.Id)], cancellationToken);
        return TypedResults.Ok(keys.Select(k => ApiKeyResponse.From(k, activities.GetValueOrDefault(k.Id, KeyActivity.None), now)).ToList());
    }

    /// <summary>One key with its usage and requests in flight, deleted ones too (the audit log links to them).</summary>
    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> GetKey(
        Guid id, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.AsNoTracking().Include(k => k.Owner).FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        return key is null ? NotFound(id) : TypedResults.Ok(await WithActivityAsync(db, key, calendar, activity, cancellationToken));
    }

    public static async Task<Results<Created<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateKey(
        HttpContext http,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(http.Request, options.Value.MaxBodyBytes, CreateFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        fields.TryGetString("name", out var name);
        if (ApiKeyRules.CheckName(name) is { } nameError)
        {
            fields.AddError("name", nameError);
        }

        var now = calendar.UtcNow;
        fields.TryGetInstant("expires_at", out var expiresAt);
        if (ApiKeyRules.CheckExpiry(expiresAt, now) is { } expiryError)
        {
            fields.AddError("expires_at", expiryError);
        }

        var limits = new List<(QuotaLimitKind Kind, long? Value)>();
        foreach (var kind in QuotaLimitKindExtensions.All)
        {
            if (fields.TryGetLimit(kind.ToWire(), out var value))
            {
                limits.Add((kind, value));
            }
        }

        TryGetAllowedModels(fields, out var allowedModels);
        OwnersApi.TryGetOwnerId(fields, out var ownerId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = ownerId is { } id ? await db.Owners.FirstOrDefaultAsync(o => o.Id == id, cancellationToken) : null;
        if (ownerId is not null && owner is null)
        {
            fields.AddError("owner_id", $"there is no owner with id {ownerId}");
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The key was not created.");
        }

        var (record, plaintext) = ApiKeyFactory.Create(name!, QuotaLimits.Unlimited, expiresAt, now);
        limits.ForEach(limit => ApiKeyLimits.Set(record, limit.Kind, limit.Value));
        record.AllowedModels = allowedModels;

        // A new key has no usage, so its owner's counters stay as they are (no new membership version).
        record.Owner = owner;
        db.ApiKeys.Add(record);
        AuditTrail.Record(db, AuditCaller.Of(http), AuditActions.KeyCreate, AuditSnapshots.Target(record), null, AuditSnapshots.Of(record, now), now);
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.Created($"/api/api-keys/{record.Id}", ApiKeyResponse.From(record, KeyActivity.None, now, plaintext));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> DeactivateKey(
        Guid id,
        HttpContext http,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        KeyActivityReader activity,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = calendar.UtcNow;
        var (key, before, problem) = await KeyChanges.FindAsync(db, id, now, cancellationToken);
        if (key is null)
        {
            return problem!;
        }

        if (key.IsActive)
        {
            key.IsActive = false;
            key.DeactivatedAt = now;
            await KeyChanges.SaveAsync(db, key, before!, AuditActions.KeyDeactivate, http, now, notifier, cancellationToken);
        }

        return TypedResults.Ok(await WithActivityAsync(db, key, calendar, activity, cancellationToken));
    }

    /// <summary>Changes the named limits, allowed models and expiry; giving a new expiry revives an expired key.</summary>
    public static async Task<Results<Ok<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> UpdateQuota(
        Guid id,
        HttpContext http,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        KeyActivityReader activity,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(http.Request, options.Value.MaxBodyBytes, UpdateFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var now = calendar.UtcNow;
        var changes = new List<Action<ApiKey>>();
        if (fields.TryGetInstant("expires_at", out var expiresAt))
        {
            if (ApiKeyRules.CheckExpiry(expiresAt, now) is { } expiryError)
            {
                fields.AddError("expires_at", expiryError);
            }

            changes.Add(k => k.ExpiresAt = expiresAt);
        }

        foreach (var kind in QuotaLimitKindExtensions.All)
        {
            if (fields.TryGetLimit(kind.ToWire(), out var value))
            {
                changes.Add(k => ApiKeyLimits.Set(k, kind, value));
            }
        }

        if (TryGetAllowedModels(fields, out var allowedModels))
        {
            changes.Add(k => k.AllowedModels = allowedModels);
        }

        if (!fields.HasErrors && changes.Count == 0)
        {
            fields.AddError("body", $"name at least one of {string.Join(", ", UpdateFields)}");
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The quota was not changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (key, before, problem) = await KeyChanges.FindAsync(db, id, now, cancellationToken);
        if (key is null)
        {
            return problem!;
        }

        changes.ForEach(change => change(key));
        await KeyChanges.SaveAsync(db, key, before!, AuditActions.KeyUpdate, http, now, notifier, cancellationToken);

        return TypedResults.Ok(await WithActivityAsync(db, key, calendar, activity, cancellationToken));
    }

    /// <summary>The allow-list as stored: null (every model) for null or an empty list.</summary>
    private static bool TryGetAllowedModels(JsonFields fields, out string[]? allowedModels)
    {
        allowedModels = null;
        if (!fields.TryGetStringList(AllowedModelsField, out var entries))
        {
            return false;
        }

        var (checkedEntries, error) = ModelAccess.Check(entries);
        if (error is not null)
        {
            fields.AddError(AllowedModelsField, error);
        }

        allowedModels = checkedEntries is { Length: > 0 } ? checkedEntries : null;
        return true;
    }

    internal static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no API key with id {id}.");

    internal static async Task<ApiKeyResponse> WithActivityAsync(
        QuotaDbContext db, ApiKey key, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        var activities = await activity.ReadAsync(db, [key.Id], cancellationToken);
        return ApiKeyResponse.From(key, activities.GetValueOrDefault(key.Id, KeyActivity.None), calendar.UtcNow);
    }
}
