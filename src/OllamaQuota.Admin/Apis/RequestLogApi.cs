using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Apis;

/// <param name="KeyName">Null when the key no longer exists.</param>
/// <param name="Refused">The proxy refused the request before forwarding it (429 or 503); no tokens were charged.</param>
/// <param name="GpuSeconds">GPU time (<see cref="GpuTime"/>); null when Ollama reported no durations.</param>
public sealed record RequestLogItem(
    Guid Id, DateTime CreatedAt, Guid KeyId, string? KeyName, string? KeyPrefix, string Model, string Endpoint, int Status,
    bool Refused, int PromptTokens, int CompletionTokens, int DurationMs, double? GpuSeconds);

/// <param name="NextCursor">Pass as <c>cursor</c> for the next (older) page; null on the last page.</param>
public sealed record RequestLogPage(List<RequestLogItem> Items, string? NextCursor);

/// <summary>The request log's filters, as query parameters; <paramref name="To"/> is exclusive.</summary>
public sealed record RequestLogQuery(
    [FromQuery(Name = "key_id")] Guid? KeyId,
    string? Model,
    string? Endpoint,
    int? Status,
    DateTimeOffset? From,
    DateTimeOffset? To)
{
    public RequestLogFilter ToFilter() => new(
        KeyId, NullIfEmpty(Model), NullIfEmpty(Endpoint), Status, From?.UtcDateTime, To?.UtcDateTime);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>
/// Recent usage events, newest first, filtered and paged on the server (keyset paging: a deep page costs what the first
/// does), and the same as CSV: every matching event, streamed a page at a time as it is read, so an export holds
/// neither the whole log in memory nor a query open for its length. Narrow it with <c>from</c>/<c>to</c>.
/// </summary>
public static class RequestLogApi
{
    private const int CsvPageSize = 1000;

    public static RouteGroupBuilder MapRequestLogApi(this RouteGroupBuilder api)
    {
        var requests = api.MapGroup("/requests").WithTags("Usage");
        requests.MapGet("/", Page).WithName("GetRequestLog");
        api.MapGet("/requests.csv", Csv).WithTags("Usage").WithName("GetRequestLogCsv");
        return api;
    }

    public static async Task<Results<Ok<RequestLogPage>, ValidationProblem>> Page(
        [AsParameters] RequestLogQuery query, string? cursor, int? limit, IDbContextFactory<QuotaDbContext> contexts,
        CancellationToken cancellationToken)
    {
        limit ??= 50;
        var errors = new Dictionary<string, string[]>();
        if (limit is < 1 or > RequestLog.MaxPageSize)
        {
            errors["limit"] = [$"must be between 1 and {RequestLog.MaxPageSize}"];
        }

        RequestLogCursor? after = null;
        if (cursor is { Length: > 0 })
        {
            if (RequestLogCursor.TryParse(cursor, out var parsed))
            {
                after = parsed;
            }
            else
            {
                errors["cursor"] = ["must be a next_cursor this API returned"];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var page = await RequestLog.PageAsync(db, query.ToFilter(), after, limit.Value, cancellationToken);
        var keys = await KeyNamesAsync(db, page, [], cancellationToken);
        return TypedResults.Ok(new RequestLogPage(
            [.. page.Select(e => Item(e, keys))], RequestLog.Next(page, limit.Value)?.ToString()));
    }

    public static PushStreamHttpResult Csv(
        [AsParameters] RequestLogQuery query, IDbContextFactory<QuotaDbContext> contexts, CancellationToken cancellationToken) =>
        TypedResults.Stream(
            async body =>
            {
                await using var writer = new StreamWriter(body, new UTF8Encoding(false), bufferSize: 64 * 1024);
                await writer.WriteAsync(RequestLogCsv.Header.AsMemory(), cancellationToken);
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var filter = query.ToFilter();
                var keys = new Dictionary<Guid, (string Name, string Prefix)>();
                RequestLogCursor? after = null;
                do
                {
                    var page = await RequestLog.PageAsync(db, filter, after, CsvPageSize, cancellationToken);
                    keys = await KeyNamesAsync(db, page, keys, cancellationToken);
                    foreach (var usage in page)
                    {
                        await writer.WriteAsync(RequestLogCsv.Line(Item(usage, keys)).AsMemory(), cancellationToken);
                    }

                    await writer.FlushAsync(cancellationToken);
                    after = RequestLog.Next(page, CsvPageSize);
                }
                while (after is not null);
            },
            contentType: "text/csv; charset=utf-8",
            fileDownloadName: "requests.csv");

    /// <summary>Adds the names of the page's keys not yet in <paramref name="known"/> (one query per page).</summary>
    private static async Task<Dictionary<Guid, (string Name, string Prefix)>> KeyNamesAsync(
        QuotaDbContext db, List<UsageEvent> page, Dictionary<Guid, (string Name, string Prefix)> known, CancellationToken cancellationToken)
    {
        var missing = page.Select(e => e.KeyId).Where(id => !known.ContainsKey(id)).Distinct().ToList();
        if (missing.Count > 0)
        {
            var found = await db.ApiKeys.AsNoTracking()
                .Where(k => missing.Contains(k.Id))
                .Select(k => new { k.Id, k.Name, k.KeyPrefix })
                .ToListAsync(cancellationToken);
            found.ForEach(k => known[k.Id] = (k.Name, k.KeyPrefix));
        }

        return known;
    }

    private static RequestLogItem Item(UsageEvent usage, Dictionary<Guid, (string Name, string Prefix)> keys)
    {
        var known = keys.TryGetValue(usage.KeyId, out var key);
        return new RequestLogItem(
            usage.Id, usage.CreatedAt, usage.KeyId, known ? key.Name : null, known ? key.Prefix : null, usage.Model, usage.Endpoint,
            usage.StatusCode, usage.Refused, usage.PromptTokens, usage.CompletionTokens, usage.DurationMs,
            GpuTime.Of(usage) is { } gpu ? GpuTime.Seconds(gpu) : null);
    }
}
