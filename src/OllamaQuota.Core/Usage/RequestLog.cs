using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>Which usage events the request log lists: every filter is optional; <see cref="To"/> is exclusive.</summary>
public sealed record RequestLogFilter(
    Guid? KeyId = null, string? Model = null, string? Endpoint = null, int? Status = null, DateTime? From = null, DateTime? To = null);

/// <summary>
/// Where a page of the request log starts: just after the event at (<paramref name="CreatedAt"/>, <paramref name="Id"/>)
/// in newest-first order. Keyset paging, so a page deep in ten million events costs what the first one does.
/// </summary>
public readonly record struct RequestLogCursor(DateTime CreatedAt, Guid Id)
{
    /// <summary>The cursor as the API hands it out: opaque to clients, "ticks.id".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{CreatedAt.Ticks}.{Id:N}");

    public static bool TryParse(string? text, out RequestLogCursor cursor)
    {
        cursor = default;
        var dot = text?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot < 1
            || !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks
            || !Guid.TryParseExact(text.AsSpan(dot + 1), "N", out var id))
        {
            return false;
        }

        cursor = new RequestLogCursor(new DateTime(ticks, DateTimeKind.Utc), id);
        return true;
    }
}

/// <summary>
/// Pages of usage events, newest first by (created_at, id). Each filter is an equality or a range on an index that
/// ends in (created_at, id) (see <see cref="QuotaDbContext"/>), so a page is a short backward index scan. SQL, not
/// LINQ: the row-value comparison <c>(created_at, id) &lt; (…)</c>, which both providers index, has no LINQ form.
/// </summary>
public static class RequestLog
{
    public const int MaxPageSize = 1000;

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="after"/> (from the newest when null).</summary>
    public static Task<List<UsageEvent>> PageAsync(
        QuotaDbContext db, RequestLogFilter filter, RequestLogCursor? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);

        var sql = new StringBuilder("SELECT * FROM usage_events WHERE 1 = 1");
        var parameters = new List<object>();
        void Where(string condition, params object[] values)
        {
            var placeholders = values.Select(v =>
            {
                parameters.Add(v);
                return (object)$"{{{parameters.Count - 1}}}";
            }).ToArray();
            sql.Append(" AND ").AppendFormat(CultureInfo.InvariantCulture, condition, placeholders);
        }

        if (filter.KeyId is { } keyId)
        {
            Where("key_id = {0}", keyId);
        }

        if (filter.Model is { } model)
        {
            Where("model = {0}", model);
        }

        if (filter.Endpoint is { } endpoint)
        {
            Where("endpoint = {0}", endpoint);
        }

        if (filter.Status is { } status)
        {
            Where("status_code = {0}", status);
        }

        if (filter.From is { } from)
        {
            Where("created_at >= {0}", from);
        }

        if (filter.To is { } to)
        {
            Where("created_at < {0}", to);
        }

        if (after is { } cursor)
        {
            Where("(created_at, id) < ({0}, {1})", cursor.CreatedAt, cursor.Id);
        }

        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY created_at DESC, id DESC LIMIT {limit}");
        return db.UsageEvents.FromSqlRaw(sql.ToString(), [.. parameters]).AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>Where the page after <paramref name="page"/> starts; null when it was the last (not full).</summary>
    public static RequestLogCursor? Next(List<UsageEvent> page, int limit)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.Count < limit ? null : new RequestLogCursor(page[^1].CreatedAt, page[^1].Id);
    }
}
