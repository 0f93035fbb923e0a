using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
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

    private const int MostKeysPerPage = 1000;

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

    /// <summary>
    /// Keys with today's and this month's usage, searched, filtered, sorted and paged in the database. Without
    /// <c>limit</c> every match is listed; the <c>X-Total-Count</c> header always carries how many keys match.
    /// </summary>
    /// <param name="search">Part of a key's name or prefix, any case.</param>
    /// <param name="status">active, deactivated or expired.</param>
    /// <param name="sort">created (the default), name, prefix or expires; <paramref name="dir"/> asc or desc.</param>
    public static async Task<Results<Ok<List<ApiKeyResponse>>, ValidationProblem>> ListKeys(
        string? search, string? status, string? sort, string? dir, int? offset, int? limit, HttpResponse response,
        IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not (null or "" or "active" or "deactivated" or "expired"))
        {
            errors["status"] = ["must be active, deactivated or expired"];
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
        var matches = db.ApiKeys.AsNoTracking();
        if (search?.Trim().ToLowerInvariant() is { Length: > 0 } part)
        {
            matches = matches.Where(k => k.Name.ToLower().Contains(part) || k.KeyPrefix.ToLower().Contains(part));
        }

        matches = status switch
        {
            "active" => matches.Where(k => k.IsActive && (k.ExpiresAt == null || k.ExpiresAt > now)),
            "expired" => matches.Where(k => k.IsActive && k.ExpiresAt != null && k.ExpiresAt <= now),
            "deactivated" => matches.Where(k => !k.IsActive),
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
        var usage = await UsageRollups.TotalsAsync(db, calendar.Today, limit is null ? null : [.. keys.Select(k => k.Id)], cancellationToken);
        return TypedResults.Ok(keys.Select(k => ApiKeyResponse.From(k, usage.GetValueOrDefault(k.Id, KeyUsage.Zero), now)).ToList());
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

        fields.TryGetLimit("daily_tokens", out var dailyTokens);
        fields.TryGetLimit("monthly_tokens", out var monthlyTokens);
        fields.TryGetLimit("daily_requests", out var dailyRequests);
        fields.TryGetLimit("monthly_requests", out var monthlyRequests);
        TryGetAllowedModels(fields, out var allowedModels);
        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The key was not created.");
        }

        var limits = new QuotaLimits(dailyTokens, monthlyTokens, dailyRequests, monthlyRequests);
        var (record, plaintext) = ApiKeyFactory.Create(name!, limits, expiresAt, now);
        record.AllowedModels = allowedModels;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.Created($"/api/api-keys/{record.Id}", ApiKeyResponse.From(record, KeyUsage.Zero, now, plaintext));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> DeactivateKey(
        Guid id,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
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

        return TypedResults.Ok(await WithUsageAsync(db, key, calendar, cancellationToken));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> UpdateQuota(
        Guid id,
        HttpRequest request,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, UpdateFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var changes = new List<Action<ApiKey>>();
        if (fields.TryGetLimit("daily_tokens", out var dailyTokens))
        {
            changes.Add(k => k.DailyTokens = dailyTokens);
        }

        if (fields.TryGetLimit("monthly_tokens", out var monthlyTokens))
        {
            changes.Add(k => k.MonthlyTokens = monthlyTokens);
        }

        if (fields.TryGetLimit("daily_requests", out var dailyRequests))
        {
            changes.Add(k => k.DailyRequests = dailyRequests);
        }

        if (fields.TryGetLimit("monthly_requests", out var monthlyRequests))
        {
            changes.Add(k => k.MonthlyRequests = monthlyRequests);
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
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return NotFound(id);
        }

        changes.ForEach(change => change(key));
        await db.SaveChangesAsync(cancellationToken);
        await notifier.KeyChangedAsync(db, key, cancellationToken);

        return TypedResults.Ok(await WithUsageAsync(db, key, calendar, cancellationToken));
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

    private static async Task<ApiKeyResponse> WithUsageAsync(
        QuotaDbContext db, ApiKey key, QuotaCalendar calendar, CancellationToken cancellationToken)
    {
        var usage = await UsageRollups.TotalsAsync(db, calendar.Today, [key.Id], cancellationToken);
        return ApiKeyResponse.From(key, usage.GetValueOrDefault(key.Id, KeyUsage.Zero), calendar.UtcNow);
    }
}
