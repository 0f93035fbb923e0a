using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// The first version's routes for users, kept working as it described them: a user is an owner (its <c>email</c> is
/// the owner's contact), and its quota the owner's four seed limits (<c>null</c> = unlimited). The owners API
/// (<see cref="OwnersApi"/>) is the same data with every limit.
/// </summary>
public static class UsersApi
{
    private const string NameField = "name";
    private const string EmailField = "email";

    private static readonly QuotaLimitKind[] SeedLimits =
        [QuotaLimitKind.DailyTokens, QuotaLimitKind.MonthlyTokens, QuotaLimitKind.DailyRequests, QuotaLimitKind.MonthlyRequests];

    private static readonly string[] QuotaFields = [.. SeedLimits.Select(kind => kind.ToWire())];

    private static readonly string[] UserFields = [NameField, EmailField, .. QuotaFields];

    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/users", ListUsers).WithName("ListUsers").WithTags("Users (seed)");
        api.MapPost("/users", CreateUser).WithName("CreateUser").WithTags("Users (seed)");
        api.MapPut("/quotas/{userId:guid}", SetQuota).WithName("SetUserQuota").WithTags("Users (seed)");
        return api;
    }

    public static async Task<Ok<List<UserResponse>>> ListUsers(IDbContextFactory<QuotaDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owners = await db.Owners.AsNoTracking().OrderBy(o => o.CreatedAt).ToListAsync(cancellationToken);
        var keys = (await db.ApiKeys.AsNoTracking().Where(k => k.OwnerId != null).Select(k => new { k.Id, k.OwnerId }).ToListAsync(cancellationToken))
            .ToLookup(k => k.OwnerId, k => k.Id);
        return TypedResults.Ok(owners.Select(o => UserResponse.From(o, keys[o.Id])).ToList());
    }

    /// <summary><c>{name, email?, daily_tokens?, monthly_tokens?, daily_requests?, monthly_requests?}</c> → 201 with the user.</summary>
    public static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> CreateUser(
        HttpRequest request, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, UserFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        fields.TryGetString(NameField, out var name);
        if (OwnerRules.CheckName(name) is { } nameError)
        {
            fields.AddError(NameField, nameError);
        }

        fields.TryGetString(EmailField, out var email);
        if (OwnerRules.CheckContact(email) is { } emailError)
        {
            fields.AddError(EmailField, emailError);
        }

        var limits = ReadLimits(fields, absentIsUnlimited: false);
        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The user was not created.");
        }

        var now = calendar.UtcNow;
        var owner = new Owner { Id = Guid.CreateVersion7(now), Name = name!.Trim(), Contact = OwnerRules.StoredContact(email), CreatedAt = now };
        limits.ForEach(limit => ApiKeyLimits.Set(owner, limit.Kind, limit.Value));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Owners.Add(owner);
        AuditTrail.Record(db, AuditCaller.Of(request.HttpContext), AuditActions.OwnerCreate, AuditSnapshots.Target(owner), null, AuditSnapshots.Of(owner), now);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/users/{owner.Id}", UserResponse.From(owner, []));
    }

    /// <summary>
    /// Sets a user's quota as the seed did: the body is the whole quota, so each of the four limits it leaves out is
    /// unlimited, as is an explicit <c>null</c>. The owner's other limits (minute, hour, in flight) are left as they are.
    /// </summary>
    public static async Task<Results<Ok<UserQuotaResponse>, ValidationProblem, ProblemHttpResult>> SetQuota(
        Guid userId, HttpRequest request, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyChangeNotifier notifier,
        IOptions<AdminOptions> options, CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, QuotaFields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var limits = ReadLimits(fields, absentIsUnlimited: true);
        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The quota was not changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = await db.Owners.FirstOrDefaultAsync(o => o.Id == userId, cancellationToken);
        if (owner is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no user with id {userId}.");
        }

        var before = AuditSnapshots.Of(owner);
        limits.ForEach(limit => ApiKeyLimits.Set(owner, limit.Kind, limit.Value));
        AuditTrail.Record(
            db, AuditCaller.Of(request.HttpContext), AuditActions.OwnerUpdate, AuditSnapshots.Target(owner), before, AuditSnapshots.Of(owner), calendar.UtcNow);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.OwnerChangedAsync(db, owner, cancellationToken);
        return TypedResults.Ok(UserQuotaResponse.From(owner));
    }

    private static List<(QuotaLimitKind Kind, long? Value)> ReadLimits(JsonFields fields, bool absentIsUnlimited)
    {
        var limits = new List<(QuotaLimitKind Kind, long? Value)>();
        foreach (var kind in SeedLimits)
        {
            if (fields.TryGetLimit(kind.ToWire(), out var value) || absentIsUnlimited)
            {
                limits.Add((kind, value));
            }
        }

        return limits;
    }
}

/// <summary>A user as the seed's API shows it: an owner with its contact as <c>email</c>, its quota and its keys.</summary>
public sealed record UserResponse(
    Guid Id, string Name, string? Email, DateTime CreatedAt, long? DailyTokens, long? MonthlyTokens, long? DailyRequests,
    long? MonthlyRequests, IReadOnlyList<Guid> ApiKeyIds)
{
    public static UserResponse From(Owner owner, IEnumerable<Guid> keyIds)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new UserResponse(
            owner.Id, owner.Name, owner.Contact, owner.CreatedAt, owner.DailyTokens, owner.MonthlyTokens, owner.DailyRequests,
            owner.MonthlyRequests, [.. keyIds]);
    }
}

/// <summary>A user's quota, as <c>PUT /api/quotas/{user_id}</c> answers it.</summary>
public sealed record UserQuotaResponse(Guid UserId, long? DailyTokens, long? MonthlyTokens, long? DailyRequests, long? MonthlyRequests)
{
    public static UserQuotaResponse From(Owner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new UserQuotaResponse(owner.Id, owner.DailyTokens, owner.MonthlyTokens, owner.DailyRequests, owner.MonthlyRequests);
    }
}
