using System.Text.Json.Nodes;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Audit;

/// <summary>The target of a change: its type (see <see cref="AuditActions"/>), id and name.</summary>
public sealed record AuditTarget(string Type, string? Id, string? Name);

public static class AuditTrail
{
    /// <summary>
    /// Adds the audit row of a change to <paramref name="db"/>, to be saved with the change itself (one transaction).
    /// Only the fields that differ between the two snapshots are kept; a change that changed nothing is not recorded.
    /// </summary>
    /// <param name="before">The target before the change; null when it was created.</param>
    /// <param name="after">The target after the change.</param>
    /// <returns>Whether a row was added.</returns>
    public static bool Record(
        QuotaDbContext db, AuditActor actor, string action, AuditTarget target, JsonObject? before, JsonObject after, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(after);
        var (changedBefore, changedAfter) = before is null ? (null, after) : Changed(before, after);
        if (changedAfter.Count == 0 && changedBefore?.Count is null or 0)
        {
            return false;
        }

        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = utcNow,
            Actor = actor.Name,
            CallerAddress = actor.Address,
            Action = action,
            TargetType = target.Type,
            TargetId = target.Id,
            TargetName = target.Name,
            Before = changedBefore?.ToJsonString(),
            After = changedAfter.ToJsonString(),
        });
        return true;
    }

    private static (JsonObject Before, JsonObject After) Changed(JsonObject before, JsonObject after)
    {
        JsonObject changedBefore = [];
        JsonObject changedAfter = [];
        foreach (var name in before.Select(p => p.Key).Union(after.Select(p => p.Key)))
        {
            var old = before[name];
            var now = after[name];
            if (!JsonNode.DeepEquals(old, now))
            {
                changedBefore[name] = old?.DeepClone();
                changedAfter[name] = now?.DeepClone();
            }
        }

        return (changedBefore, changedAfter);
    }
}
