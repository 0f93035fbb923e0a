using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Admin.Apis;

/// <param name="Before">The changed fields before the change; null when the target was created.</param>
/// <param name="After">The changed fields after it.</param>
public sealed record AuditEventResponse(
    long Id,
    DateTime OccurredAt,
    string Actor,
    string? CallerAddress,
    string Action,
    string TargetType,
    string? TargetId,
    string? TargetName,
    JsonElement? Before,
    JsonElement? After)
{
    public static AuditEventResponse From(AuditEvent audit) => new(
        audit.Id,
        audit.OccurredAt,
        audit.Actor,
        audit.CallerAddress,
        audit.Action,
        audit.TargetType,
        audit.TargetId,
        audit.TargetName,
        audit.Before is null ? null : JsonElement.Parse(audit.Before),
        audit.After is null ? null : JsonElement.Parse(audit.After));
}

/// <param name="NextCursor">Pass as <c>cursor</c> for the next (older) page; null on the last page.</param>
public sealed record AuditPageResponse(IReadOnlyList<AuditEventResponse> Items, string? NextCursor);

/// <summary>
/// The audit log, newest first, paged by keyset: a page ends with a cursor naming its last event, and the next page
/// starts after it. Unlike page numbers this costs the same at any depth and does not shift when new events arrive.
/// </summary>
public static class AuditApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAuditEvents).WithName("ListAuditEvents").WithTags("Audit");
        return api;
    }

    /// <summary>Filters: <c>action</c> (exact), <c>target_id</c>, <c>from</c> (inclusive) and <c>to</c> (exclusive) instants.</summary>
    public static async Task<Results<Ok<AuditPageResponse>, ValidationProblem>> ListAuditEvents(
        HttpRequest request, IDbContextFactory<QuotaDbContext> contexts, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var query = request.Query;
        string? Text(string name) => query[name] is { Count: > 0 } values && !string.IsNullOrWhiteSpace(values.ToString()) ? values.ToString().Trim() : null;
        void Error(string name, string message) => errors.TryAdd(name, [message]);

        var pageSize = DefaultPageSize;
        if (Text("page_size") is { } sizeText
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            Error("page_size", $"must be a whole number from 1 to {MaxPageSize}");
        }

        var action = Text("action");
        if (action is not null && !AuditActions.All.Contains(action))
        {
            Error("action", $"must be one of {string.Join(", ", AuditActions.All)}");
        }

        var from = Instant(Text("from"), "from", Error);
        var to = Instant(Text("to"), "to", Error);
        var cursor = Text("cursor") is { } cursorText ? Cursor.Parse(cursorText) : null;
        if (Text("cursor") is not null && cursor is null)
        {
            Error("cursor", "is not a cursor this API returned");
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The audit log could not be read.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var events = db.AuditEvents.AsNoTracking();
        if (action is not null)
        {
            events = events.Where(a => a.Action == action);
        }

        if (Text("target_id") is { } targetId)
        {
            events = events.Where(a => a.TargetId == targetId);
        }

        if (from is { } start)
        {
            events = events.Where(a => a.OccurredAt >= start);
        }

        if (to is { } end)
        {
            events = events.Where(a => a.OccurredAt < end);
        }

        if (cursor is { } after)
        {
            events = events.Where(a => a.OccurredAt < after.OccurredAt || (a.OccurredAt == after.OccurredAt && a.Id < after.Id));
        }

        var page = await events
            .OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id)
            .Take(pageSize + 1)
            .ToListAsync(cancellationToken);
        var next = page.Count > pageSize ? new Cursor(page[pageSize - 1].OccurredAt, page[pageSize - 1].Id).ToString() : null;
        return TypedResults.Ok(new AuditPageResponse([.. page.Take(pageSize).Select(AuditEventResponse.From)], next));
    }

    private static DateTime? Instant(string? text, string name, Action<string, string> error)
    {
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return instant.UtcDateTime;
        }

        error(name, "must be an ISO 8601 date or date-time, e.g. 2027-01-31T00:00:00Z");
        return null;
    }

    /// <summary>The last event of a page: its time (in ticks) and id.</summary>
    private sealed record Cursor(DateTime OccurredAt, long Id)
    {
        public static Cursor? Parse(string text)
        {
            var parts = text.Split('_');
            return parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTime.MaxValue.Ticks
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                    ? new Cursor(new DateTime(ticks, DateTimeKind.Utc), id)
                    : null;
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{OccurredAt.Ticks}_{Id}");
    }
}
