using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Admin.Activity;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// Owners: a person or a team holding any number of keys, whose limits apply across all of them. The rules for keys
/// that move and owners that go (README, "Owners"): an owner's usage is that of the keys it holds now, so a key's
/// usage in the current windows moves with it and nothing is reset; an owner with keys is deleted only with
/// <c>?detach_keys=true</c>, which leaves its keys on their own with their own limits and counts. Deleted keys do not
/// hold an owner back: they are left on their own with it, their usage history kept. Every change is audited
/// (owner.create, owner.update, owner.delete, and api_key.move for each key that changes owner).
/// </summary>
public static class OwnersApi
{
    private const string NameField = "name";
    private const string ContactField = "contact";
    private const string OwnerIdField = "owner_id";

    private static readonly string[] Fields = [NameField, ContactField, .. ApiKeyRules.LimitFields];

    public static RouteGroupBuilder MapOwnersApi(this RouteGroupBuilder api)
    {
        var owners = api.MapGroup("/owners").WithTags("Owners");
        owners.MapGet("/", ListOwners).WithName("ListOwners");
        owners.MapPost("/", CreateOwner).WithName("CreateOwner");
        owners.MapGet("/{id:guid}", GetOwner).WithName("GetOwner");
        owners.MapPatch("/{id:guid}", UpdateOwner).WithName("UpdateOwner");
        owners.MapDelete("/{id:guid}", DeleteOwner).WithName("DeleteOwner");
        api.MapPut("/api-keys/{id:guid}/owner", SetKeyOwner).WithName("SetApiKeyOwner").WithTags("Owners");
        return api;
    }

    public static async Task<Ok<List<OwnerResponse>>> ListOwners(
        IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owners = await db.Owners.AsNoTracking().OrderBy(o => o.Name).ThenBy(o => o.CreatedAt).ToListAsync(cancellationToken);

        // A list names only each owner's first keys with the count of all: an owner may hold thousands, which the keys
        // list (filtered by owner) pages on the server.
        var counts = await db.ApiKeys.Where(k => k.OwnerId != null).GroupBy(k => k.OwnerId)
            .Select(g => new { OwnerId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.OwnerId!.Value, g => g.Count, cancellationToken);
        var firstKeys = (await db.ApiKeys.AsNoTracking().Where(k => k.OwnerId != null).GroupBy(k => k.OwnerId)
                .Select(g => g.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).Take(OwnerResponse.ListedKeys))
                .ToListAsync(cancellationToken))
            .SelectMany(keys => keys)
            .ToLookup(k => k.OwnerId);
        var activities = await activity.ReadOwnersAsync(db, null, cancellationToken);
        var now = calendar.UtcNow;
        return TypedResults.Ok(owners
            .Select(o => OwnerResponse.From(o, firstKeys[o.Id], counts.GetValueOrDefault(o.Id), activities.GetValueOrDefault(o.Id, KeyActivity.None), now))
            .ToList());
    }

    public static async Task<Results<Ok<OwnerResponse>, ProblemHttpResult>> GetOwner(
        Guid id, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = await db.Owners.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        return owner is null ? NotFound(id) : TypedResults.Ok(await WithActivityAsync(db, owner, calendar, activity, cancellationToken));
    }

    public static async Task<Results<Created<OwnerResponse>, ValidationProblem, ProblemHttpResult>> CreateOwner(
        HttpRequest request, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, Fields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        fields.TryGetString(NameField, out var name);
        if (OwnerRules.CheckName(name) is { } nameError)
        {
            fields.AddError(NameField, nameError);
        }

        var changes = Changes(fields);
        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The owner was not created.");
        }

        var now = calendar.UtcNow;
        var owner = new Owner { Id = Guid.CreateVersion7(now), Name = name!.Trim(), CreatedAt = now };
        changes.ForEach(change => change(owner));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Owners.Add(owner);
        AuditTrail.Record(db, AuditCaller.Of(request.HttpContext), AuditActions.OwnerCreate, AuditSnapshots.Target(owner), null, AuditSnapshots.Of(owner), now);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/owners/{owner.Id}", OwnerResponse.From(owner, [], KeyActivity.None, now));
    }

    public static async Task<Results<Ok<OwnerResponse>, ValidationProblem, ProblemHttpResult>> UpdateOwner(
        Guid id, HttpRequest request, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyChangeNotifier notifier,
        KeyActivityReader activity, IOptions<AdminOptions> options, CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, Fields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var changes = Changes(fields);
        if (fields.TryGetString(NameField, out var name))
        {
            if (OwnerRules.CheckName(name) is { } nameError)
            {
                fields.AddError(NameField, nameError);
            }

            changes.Add(o => o.Name = name!.Trim());
        }

        if (!fields.HasErrors && changes.Count == 0)
        {
            fields.AddError("body", $"name at least one of {string.Join(", ", Fields)}");
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The owner was not changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = await db.Owners.FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (owner is null)
        {
            return NotFound(id);
        }

        var before = AuditSnapshots.Of(owner);
        changes.ForEach(change => change(owner));
        AuditTrail.Record(
            db, AuditCaller.Of(request.HttpContext), AuditActions.OwnerUpdate, AuditSnapshots.Target(owner), before, AuditSnapshots.Of(owner), calendar.UtcNow);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.OwnerChangedAsync(db, owner, cancellationToken);
        return TypedResults.Ok(await WithActivityAsync(db, owner, calendar, activity, cancellationToken));
    }

    /// <summary>
    /// Deletes an owner. One that still holds keys is refused (409) unless <paramref name="detachKeys"/> is set: then its
    /// keys are left on their own first, keeping their own limits and counts, and only the owner's shared limits stop
    /// applying to them. Deleted keys do not count as held: they are left on their own in any case, their usage kept
    /// (it shows under "no owner" from then on, since usage is attributed to a key's owner of the moment).
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteOwner(
        Guid id, HttpContext http, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyChangeNotifier notifier,
        CancellationToken cancellationToken, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "detach_keys")] bool detachKeys = false)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = await db.Owners.FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (owner is null)
        {
            return NotFound(id);
        }

        var keys = await db.ApiKeys.Where(k => k.OwnerId == id).ToListAsync(cancellationToken);
        var held = keys.Count(k => k.DeletedAt is null);
        if (held > 0 && !detachKeys)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "The owner holds keys",
                detail: $"The owner '{owner.Name}' holds {held} key(s). Move them to another owner first, or delete with ?detach_keys=true to leave them on their own (they keep their own limits and usage).");
        }

        var now = calendar.UtcNow;
        var caller = AuditCaller.Of(http);
        foreach (var key in keys)
        {
            var before = AuditSnapshots.Of(key, now);
            key.OwnerId = null;
            key.Owner = null;
            key.OwnerChanges++;
            AuditTrail.Record(db, caller, AuditActions.KeyMove, AuditSnapshots.Target(key), before, AuditSnapshots.Of(key, now), now);
        }

        AuditTrail.Record(db, caller, AuditActions.OwnerDelete, AuditSnapshots.Target(owner), AuditSnapshots.Of(owner), AuditSnapshots.Gone, now);
        db.Owners.Remove(owner);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.OwnerChangedAsync(db, owner, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Moves a key to an owner (<c>{"owner_id": "…"}</c>) or leaves it on its own (<c>{"owner_id": null}</c>). The
    /// membership of both owners changes, so both get a new <see cref="Owner.KeysVersion"/>: the ledger rebuilds their
    /// counters from the usage of the keys they hold now. The key's own counters are kept.
    /// </summary>
    public static async Task<Results<Ok<ApiKeyResponse>, ValidationProblem, ProblemHttpResult>> SetKeyOwner(
        Guid id, HttpRequest request, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, KeyChangeNotifier notifier,
        KeyActivityReader activity, IOptions<AdminOptions> options, CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, [OwnerIdField], cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        if (!TryGetOwnerId(fields, out var ownerId))
        {
            fields.AddError(OwnerIdField, "is required: an owner's id, or null for none");
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The key's owner was not changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.Include(k => k.Owner).FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return ApiKeysApi.NotFound(id);
        }

        var target = ownerId is { } wanted ? await db.Owners.FirstOrDefaultAsync(o => o.Id == wanted, cancellationToken) : null;
        if (ownerId is not null && target is null)
        {
            fields.AddError(OwnerIdField, $"there is no owner with id {ownerId}");
            return TypedResults.ValidationProblem(fields.Errors, title: "The key's owner was not changed.");
        }

        var previous = key.Owner;
        if (previous?.Id != target?.Id)
        {
            var now = calendar.UtcNow;
            var before = AuditSnapshots.Of(key, now);
            key.OwnerId = target?.Id;
            key.Owner = target;
            key.OwnerChanges++;
            if (previous is not null)
            {
                previous.KeysVersion++;
            }

            if (target is not null)
            {
                target.KeysVersion++;
            }

            AuditTrail.Record(
                db, AuditCaller.Of(request.HttpContext), AuditActions.KeyMove, AuditSnapshots.Target(key), before, AuditSnapshots.Of(key, now), now);
            await db.SaveChangesAsync(cancellationToken);
            await notifier.KeyChangedAsync(db, key, cancellationToken);
        }

        var activities = await activity.ReadAsync(db, [key.Id], cancellationToken);
        return TypedResults.Ok(ApiKeyResponse.From(key, activities.GetValueOrDefault(key.Id, KeyActivity.None), calendar.UtcNow));
    }

    /// <summary>
    /// <c>owner_id</c> as a key's create body or this API carries it: an owner's id, or null for none. Returns whether
    /// the field was there; a malformed one is an error named by the field.
    /// </summary>
    internal static bool TryGetOwnerId(JsonFields fields, out Guid? ownerId)
    {
        ownerId = null;
        if (!fields.TryGetString(OwnerIdField, out var text))
        {
            return false;
        }

        if (text is not null)
        {
            if (Guid.TryParse(text, out var parsed))
            {
                ownerId = parsed;
            }
            else
            {
                fields.AddError(OwnerIdField, "must be an owner's id (a UUID), or null for none");
            }
        }

        return true;
    }

    internal static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no owner with id {id}.");

    /// <summary>The contact and limits of the body, as changes; a bad value is an error named by its field.</summary>
    private static List<Action<Owner>> Changes(JsonFields fields)
    {
        var changes = new List<Action<Owner>>();
        if (fields.TryGetString(ContactField, out var contact))
        {
            if (OwnerRules.CheckContact(contact) is { } contactError)
            {
                fields.AddError(ContactField, contactError);
            }

            changes.Add(o => o.Contact = OwnerRules.StoredContact(contact));
        }

        foreach (var kind in QuotaLimitKindExtensions.All)
        {
            if (fields.TryGetLimit(kind.ToWire(), out var value))
            {
                changes.Add(o => ApiKeyLimits.Set(o, kind, value));
            }
        }

        return changes;
    }

    private static async Task<OwnerResponse> WithActivityAsync(
        QuotaDbContext db, Owner owner, QuotaCalendar calendar, KeyActivityReader activity, CancellationToken cancellationToken)
    {
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.OwnerId == owner.Id).ToListAsync(cancellationToken);
        var activities = await activity.ReadOwnersAsync(db, [owner.Id], cancellationToken);
        return OwnerResponse.From(owner, keys, activities.GetValueOrDefault(owner.Id, KeyActivity.None), calendar.UtcNow);
    }
}
