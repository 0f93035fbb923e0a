using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;

namespace OllamaQuota.Admin.Apis;

/// <summary>The steps every change to an existing key takes: find it, change it, audit, save, tell the proxies.</summary>
internal static class KeyChanges
{
    /// <summary>The key to change and its snapshot before the change; 404 if there is none, 409 if it is deleted.</summary>
    public static async Task<(ApiKey? Key, JsonObject? Before, ProblemHttpResult? Problem)> FindAsync(
        QuotaDbContext db, Guid id, DateTime utcNow, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.Include(k => k.Owner).FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        return key is null ? (null, null, ApiKeysApi.NotFound(id))
            : key.DeletedAt is not null ? (null, null, Deleted(id))
            : (key, AuditSnapshots.Of(key, utcNow), null);
    }

    /// <summary>
    /// Saves the change with its audit row in one transaction and tells the proxies; a change that changed nothing
    /// is neither saved, audited nor announced.
    /// </summary>
    public static async Task SaveAsync(
        QuotaDbContext db,
        ApiKey key,
        JsonObject before,
        string action,
        HttpContext http,
        DateTime utcNow,
        KeyChangeNotifier notifier,
        CancellationToken cancellationToken)
    {
        if (AuditTrail.Record(db, AuditCaller.Of(http), action, AuditSnapshots.Target(key), before, AuditSnapshots.Of(key, utcNow), utcNow))
        {
            await db.SaveChangesAsync(cancellationToken);
            await notifier.KeyChangedAsync(db, key, cancellationToken);
        }
    }

    private static ProblemHttpResult Deleted(Guid id) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict, title: "Key deleted", detail: $"The API key {id} is deleted and can no longer be changed.");
}
