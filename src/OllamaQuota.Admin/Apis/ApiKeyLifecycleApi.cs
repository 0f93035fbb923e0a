using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using OllamaQuota.Admin.Activity;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Admin.Apis;

/// <summary>A key's life after it is created: a new secret (rotation), reactivation and deletion.</summary>
public static class ApiKeyLifecycleApi
{
    private const string GraceHoursField = "grace_hours";

    private static readonly string[] RotateFields = [GraceHoursField];

    public static RouteGroupBuilder MapApiKeyLifecycleApi(this RouteGroupBuilder keys)
    {
        keys.MapPost("/{id:guid}/rotate", RotateKey).WithName("RotateApiKey");
        keys.MapPost("/{id:guid}/reactivate", ReactivateKey).WithName("ReactivateApiKey");
        keys.MapDelete("/{id:guid}", DeleteKey).WithName("DeleteApiKey");
        return keys;
    }

    /// <summary>
    /// A new secret, returned once; the old one works for <c>grace_hours</c> (body or query, default 24, 0 ends it now)
    /// and is then refused as rotated. The key's id, limits, usage and history stay.
    /// </summary>
    public static async Task<Results<Ok<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> RotateKey(
        Guid id,
        HttpContext http,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        IOptions<AdminOptions> options,
        KeyActivityReader activity,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadOptionalFieldsAsync(http.Request, options.Value.MaxBodyBytes, RotateFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var graceHours = GraceHours(fields, http.Request.Query[GraceHoursField]);
        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The key was not rotated.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = calendar.UtcNow;
        var (key, before, problem) = await KeyChanges.FindAsync(db, id, now, cancellationToken);
        if (key is null)
        {
            return problem!;
        }

        var plaintext = ApiKeyRotation.Rotate(key, graceHours, now);
        await KeyChanges.SaveAsync(db, key, before!, AuditActions.KeyRotate, http, now, notifier, cancellationToken);
        return TypedResults.Ok((await ApiKeysApi.WithActivityAsync(db, key, calendar, activity, cancellationToken)) with { Key = plaintext });
    }

    /// <summary>Lets a deactivated key work again. An expired key stays expired until its expiry is changed.</summary>
    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> ReactivateKey(
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

        key.IsActive = true;
        key.DeactivatedAt = null;
        await KeyChanges.SaveAsync(db, key, before!, AuditActions.KeyReactivate, http, now, notifier, cancellationToken);
        return TypedResults.Ok(await ApiKeysApi.WithActivityAsync(db, key, calendar, activity, cancellationToken));
    }

    /// <summary>
    /// Marks the key deleted: proxies refuse it at once, lists hide it (<c>?include_deleted=true</c> shows it), and its
    /// usage stays in every total. It cannot be changed or brought back afterwards. Deleting it again changes nothing.
    /// </summary>
    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> DeleteKey(
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
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return ApiKeysApi.NotFound(id);
        }

        if (key.DeletedAt is null)
        {
            var before = AuditSnapshots.Of(key, now);
            key.DeletedAt = now;
            await KeyChanges.SaveAsync(db, key, before, AuditActions.KeyDelete, http, now, notifier, cancellationToken);
        }

        return TypedResults.Ok(await ApiKeysApi.WithActivityAsync(db, key, calendar, activity, cancellationToken));
    }

    /// <summary>From the body or the query string, not both; a whole number of hours, 24 when neither names it.</summary>
    private static int GraceHours(JsonFields fields, StringValues query)
    {
        var inBody = fields.TryGetElement(GraceHoursField, out var element);
        if (inBody && query.Count > 0)
        {
            fields.AddError(GraceHoursField, "give it once, in the body or in the query string");
            return 0;
        }

        long? hours = inBody
            ? element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var fromBody) ? fromBody : null
            : query.Count > 0
                ? long.TryParse(query.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var fromQuery) ? fromQuery : null
                : ApiKeyRotation.DefaultGraceHours;
        if (ApiKeyRotation.CheckGraceHours(hours) is { } graceError)
        {
            fields.AddError(GraceHoursField, graceError);
            return 0;
        }

        return (int)hours!.Value;
    }
}
