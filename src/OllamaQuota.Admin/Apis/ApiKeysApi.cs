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

    private static readonly string[] CreateFields = ["name", "expires_at", AllowedModelsField, .. ApiKeyRules.LimitFields];

    private static readonly string[] UpdateFields = ["expires_at", AllowedModelsField, .. ApiKeyRules.LimitFields];

    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", ListKeys).WithName("ListApiKeys");
        keys.MapPost("/", CreateKey).WithName("CreateApiKey");
        keys.MapPut("/{id:guid}/deactivate", DeactivateKey).WithName("DeactivateApiKey");
        keys.MapPatch("/{id:guid}/quota", UpdateQuota).WithName("UpdateApiKeyQuota");
        keys.MapApiKeyLifecycleApi();
        return api;
    }

    /// <param name="includeDeleted">Deleted keys are left out unless asked for.</param>
    public static async Task<Ok<List<ApiKeyResponse>>> ListKeys(
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyActivityReader activity,
        CancellationToken cancellationToken,
        [FromQuery(Name = "include_deleted")] bool includeDeleted = false)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => includeDeleted || k.DeletedAt == null).ToListAsync(cancellationToken);
        var activities = await activity.ReadAsync(db, null, cancellationToken);
        var now = calendar.UtcNow;
        var response = keys
            .OrderByDescending(k => k.CreatedAt)
            .Select(k => ApiKeyResponse.From(k, activities.GetValueOrDefault(k.Id, KeyActivity.None), now))
            .ToList();
        return TypedResults.Ok(response);
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
        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The key was not created.");
        }

        var (record, plaintext) = ApiKeyFactory.Create(name!, QuotaLimits.Unlimited, expiresAt, now);
        limits.ForEach(limit => ApiKeyLimits.Set(record, limit.Kind, limit.Value));
        record.AllowedModels = allowedModels;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
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
