using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Apis;

/// <param name="Requests">Requests the quotas count: answered without an error status.</param>
/// <param name="GpuSeconds">GPU time (<see cref="GpuTime"/>) of the <paramref name="TimedRequests"/> Ollama timed.</param>
/// <param name="Errors">5xx answers to forwarded requests.</param>
/// <param name="Refused429">Requests the proxy refused because a quota was used up.</param>
/// <param name="Refused503">Requests the proxy refused because it could not reach its quota ledger.</param>
public sealed record OverviewTotals(
    long Requests, long PromptTokens, long CompletionTokens, long Tokens, double GpuSeconds, long TimedRequests,
    long Errors, [property: JsonPropertyName("refused_429")] long Refused429, [property: JsonPropertyName("refused_503")] long Refused503)
{
    public static OverviewTotals From<TKey>(UsageSums<TKey> sums) => new(
        sums.Requests, sums.PromptTokens, sums.CompletionTokens, sums.PromptTokens + sums.CompletionTokens,
        GpuTime.Seconds(sums.GpuDurationNs), sums.TimedRequests, sums.Errors, sums.RefusedRateLimited, sums.RefusedUnavailable);

    public static OverviewTotals Sum(IEnumerable<OverviewTotals> all) => all.Aggregate(
        new OverviewTotals(0, 0, 0, 0, 0, 0, 0, 0, 0),
        (a, b) => new(
            a.Requests + b.Requests, a.PromptTokens + b.PromptTokens, a.CompletionTokens + b.CompletionTokens, a.Tokens + b.Tokens,
            a.GpuSeconds + b.GpuSeconds, a.TimedRequests + b.TimedRequests, a.Errors + b.Errors,
            a.Refused429 + b.Refused429, a.Refused503 + b.Refused503));
}

public sealed record OverviewModel(string Model, OverviewTotals Usage);

/// <param name="Name">Null when the key no longer exists.</param>
public sealed record OverviewKey(Guid KeyId, string? Name, string? KeyPrefix, OverviewTotals Usage);

/// <param name="OwnerId">Null for the keys that have no owner, grouped as one row.</param>
/// <param name="Name">Null for the keys that have no owner.</param>
public sealed record OverviewOwner(Guid? OwnerId, string? Name, OverviewTotals Usage);

/// <summary>One model's usage on one day, flat like the per-key daily rows, for the same chart.</summary>
public sealed record OverviewDay(
    DateOnly Day, string Model, long Requests, long PromptTokens, long CompletionTokens, double GpuSeconds, long TimedRequests,
    long Errors, [property: JsonPropertyName("refused_429")] long Refused429, [property: JsonPropertyName("refused_503")] long Refused503);

/// <param name="Period">"today" or "month": what <paramref name="Totals"/>, <paramref name="ByModel"/>,
/// <paramref name="ByOwner"/> and <paramref name="TopKeys"/> cover, the days <paramref name="From"/> to
/// <paramref name="To"/> (APP_TZ).</param>
/// <param name="ByOwner">The busiest owners (at most 100), by the keys they hold now, with one row for the keys without
/// an owner.</param>
/// <param name="Daily">The days of the current month up to today that had usage, per model, whatever the period: the
/// roll-ups are per day, so there is no finer series for today.</param>
public sealed record OverviewResponse(
    string Period, DateOnly From, DateOnly To, OverviewTotals Totals, List<OverviewModel> ByModel, List<OverviewOwner> ByOwner,
    List<OverviewKey> TopKeys, List<OverviewDay> Daily);

/// <summary>
/// Today or this month across all keys, read from the roll-ups only (never the events), each figure from the coarsest
/// grain that has it (UsageRollupGrains): the totals, models and chart per day and model; a month's keys and owners per
/// month and key; today's keys and owners from today's per-key rows.
/// </summary>
public static class OverviewApi
{
    private const int MostTopKeys = 100;
    private const int MostOwners = 100;

    public static RouteGroupBuilder MapOverviewApi(this RouteGroupBuilder api)
    {
        api.MapGet("/overview", Overview).WithTags("Usage").WithName("GetOverview");
        return api;
    }

    public static async Task<Results<Ok<OverviewResponse>, ValidationProblem>> Overview(
        string? period, int? top, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, CancellationToken cancellationToken)
    {
        period ??= "today";
        top ??= 10;
        var errors = new Dictionary<string, string[]>();
        if (period is not ("today" or "month"))
        {
            errors["period"] = ["must be today or month"];
        }

        if (top is < 1 or > MostTopKeys)
        {
            errors["top"] = [$"must be between 1 and {MostTopKeys}"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var today = calendar.Today;
        var firstOfMonth = new DateOnly(today.Year, today.Month, 1);
        var from = period == "today" ? today : firstOfMonth;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var byModel = (await UsageOverview.SumByAsync(UsageOverview.ModelDays(db, from, today), d => d.Model, null, cancellationToken))
            .Select(s => new OverviewModel(s.Key, OverviewTotals.From(s)))
            .ToList();
        var owned = period == "today"
            ? UsageOverview.WithOwners(db, UsageOverview.Days(db, today, today), d => d.KeyId)
            : UsageOverview.WithOwners(db, UsageOverview.KeyMonth(db, firstOfMonth), m => m.KeyId);
        var byOwner = await UsageOverview.SumByAsync(owned, o => o.OwnerId, MostOwners, cancellationToken);
        var ownerIds = byOwner.Where(s => s.Key is not null).Select(s => s.Key!.Value).ToList();
        var ownerNames = await db.Owners.AsNoTracking()
            .Where(o => ownerIds.Contains(o.Id))
            .ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var topKeys = period == "today"
            ? await UsageOverview.SumByAsync(UsageOverview.Days(db, today, today), d => d.KeyId, top, cancellationToken)
            : await UsageOverview.SumByAsync(UsageOverview.KeyMonth(db, firstOfMonth), m => m.KeyId, top, cancellationToken);
        var topIds = topKeys.Select(s => s.Key).ToList();
        var names = await db.ApiKeys.AsNoTracking()
            .Where(k => topIds.Contains(k.Id))
            .ToDictionaryAsync(k => k.Id, k => (k.Name, k.KeyPrefix), cancellationToken);
        var days = await UsageOverview.SumByAsync(
            UsageOverview.ModelDays(db, firstOfMonth, today), d => new { d.Day, d.Model }, null, cancellationToken);

        return TypedResults.Ok(new OverviewResponse(
            period,
            from,
            today,
            OverviewTotals.Sum(byModel.Select(m => m.Usage)),
            byModel,
            [.. byOwner.Select(s => new OverviewOwner(
                s.Key, s.Key is { } id ? ownerNames.GetValueOrDefault(id) : null, OverviewTotals.From(s)))],
            [.. topKeys.Select(s => names.TryGetValue(s.Key, out var key)
                ? new OverviewKey(s.Key, key.Name, key.KeyPrefix, OverviewTotals.From(s))
                : new OverviewKey(s.Key, null, null, OverviewTotals.From(s)))],
            [.. days
                .OrderBy(s => s.Key.Day).ThenBy(s => s.Key.Model, StringComparer.Ordinal)
                .Select(s => new OverviewDay(
                    s.Key.Day, s.Key.Model, s.Requests, s.PromptTokens, s.CompletionTokens, GpuTime.Seconds(s.GpuDurationNs),
                    s.TimedRequests, s.Errors, s.RefusedRateLimited, s.RefusedUnavailable))]));
    }
}
