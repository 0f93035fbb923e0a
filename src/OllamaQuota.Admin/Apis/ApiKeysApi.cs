using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Admin.Activity;
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

    private static readonly string[] UpdateFields = [AllowedModelsField, .. ApiKeyRules.LimitFields];

    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", ListKeys).WithName("ListApiKeys");
        keys.MapPost("/", CreateKey).WithName("CreateApiKey");
        keys.MapPut("/{id:guid}/deactivate", DeactivateKey).WithName("DeactivateApiKey");
        keys.MapPatch("/{id:guid}/quota", UpdateQuota).WithName("UpdateApiKeyQuota");
        return api;
    }

    public static async Task<Ok<List<ApiKeyResponse>>> ListKeys(
        IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Include(k => k.Owner).ToListAsync(cancellationToken);
        var activities = await activity.ReadAsync(db, null, cancellationToken);
        var now = calendar.UtcNow;
        var response = keys
            .OrderByDescending(k => k.CreatedAt)
            .Select(k => ApiKeyResponse.From(k, activities.GetValueOrDefault(k.Id, KeyActivity.None), now))
            .ToList();
        return TypedResults.Ok(response);
    }

    public static async Task<Results<Created<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateKey(
        HttpRequest request,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, CreateFields, cancellationToken);
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
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.Created($"/api/api-keys/{record.Id}", ApiKeyResponse.From(record, KeyActivity.None, now, plaintext));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> DeactivateKey(
        Guid id,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        KeyActivityReader activity,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.Include(k => k.Owner).FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return NotFound(id);
        }

        var now = calendar.UtcNow;
        if (key.IsActive)
        {
            key.IsActive = false;
            key.DeactivatedAt = now;
            await db.SaveChangesAsync(cancellationToken);
            await notifier.KeyChangedAsync(db, key, cancellationToken);
        }

        return TypedResults.Ok(await WithActivityAsync(db, key, calendar, activity, cancellationToken));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> UpdateQuota(
        Guid id,
        HttpRequest request,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        KeyActivityReader activity,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, UpdateFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var changes = new List<Action<ApiKey>>();
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
        var key = await db.ApiKeys.Include(k => k.Owner).FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return NotFound(id);
        }

        changes.ForEach(change => change(key));
        await db.SaveChangesAsync(cancellationToken);
        await notifier.KeyChangedAsync(db, key, cancellationToken);

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

    private static async Task<ApiKeyResponse> WithActivityAsync(
        QuotaDbContext db, ApiKey key, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        var activities = await activity.ReadAsync(db, [key.Id], cancellationToken);
        return ApiKeyResponse.From(key, activities.GetValueOrDefault(key.Id, KeyActivity.None), calendar.UtcNow);
    }
}
