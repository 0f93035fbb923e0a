using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Apis;

/// <param name="GpuSeconds">GPU time (<see cref="GpuTime"/>) of the requests Ollama timed.</param>
/// <param name="TimedRequests">How many requests that is: those Ollama reported durations for.</param>
public sealed record DailyUsageResponse(
    DateOnly Day, string Model, long Requests, long PromptTokens, long CompletionTokens, double GpuSeconds, long TimedRequests);

/// <inheritdoc cref="DailyUsageResponse"/>
public sealed record MonthlyUsageResponse(
    string Month, string Model, long Requests, long PromptTokens, long CompletionTokens, double GpuSeconds, long TimedRequests);

/// <summary>Usage series for the UI's charts, from the daily roll-ups; only days and months with usage are listed.</summary>
public static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder api)
    {
        var usage = api.MapGroup("/api-keys/{id:guid}/usage").WithTags("Usage");
        usage.MapGet("/daily", DailyUsage).WithName("GetDailyUsage");
        usage.MapGet("/monthly", MonthlyUsage).WithName("GetMonthlyUsage");
        return api;
    }

    public static async Task<Results<Ok<List<DailyUsageResponse>>, ValidationProblem, ProblemHttpResult>> DailyUsage(
        Guid id, int? days, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, CancellationToken cancellationToken)
    {
        days ??= 30;
        if (days is < 1 or > 366)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["days"] = ["must be between 1 and 366"] });
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.ApiKeys.AnyAsync(k => k.Id == id, cancellationToken))
        {
            return ApiKeysApi.NotFound(id);
        }

        var today = calendar.Today;
        var first = today.AddDays(1 - days.Value);
        var rows = await db.UsageDaily.AsNoTracking()
            .Where(d => d.KeyId == id && d.Day >= first && d.Day <= today)
            .OrderBy(d => d.Day).ThenBy(d => d.Model)
            .Select(d => new { d.Day, d.Model, d.Requests, d.PromptTokens, d.CompletionTokens, d.GpuDurationNs, d.TimedRequests })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(rows
            .Select(d => new DailyUsageResponse(
                d.Day, d.Model, d.Requests, d.PromptTokens, d.CompletionTokens, GpuTime.Seconds(d.GpuDurationNs), d.TimedRequests))
            .ToList());
    }

    public static async Task<Results<Ok<List<MonthlyUsageResponse>>, ValidationProblem, ProblemHttpResult>> MonthlyUsage(
        Guid id, int? months, IDbContextFactory<QuotaDbContext> contexts, QuotaCalendar calendar, CancellationToken cancellationToken)
    {
        months ??= 12;
        if (months is < 1 or > 60)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["months"] = ["must be between 1 and 60"] });
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.ApiKeys.AnyAsync(k => k.Id == id, cancellationToken))
        {
            return ApiKeysApi.NotFound(id);
        }

        var today = calendar.Today;
        var first = new DateOnly(today.Year, today.Month, 1).AddMonths(1 - months.Value);
        var daily = await db.UsageDaily.AsNoTracking()
            .Where(d => d.KeyId == id && d.Day >= first && d.Day <= today)
            .ToListAsync(cancellationToken);

        // At most a few hundred rows per key and model: summing here keeps the query portable across providers.
        var rows = daily
            .GroupBy(d => (Month: $"{d.Day.Year:D4}-{d.Day.Month:D2}", d.Model))
            .OrderBy(g => g.Key.Month, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
            .Select(g => new MonthlyUsageResponse(
                g.Key.Month, g.Key.Model, g.Sum(d => d.Requests), g.Sum(d => d.PromptTokens), g.Sum(d => d.CompletionTokens),
                GpuTime.Seconds(g.Sum(d => d.GpuDurationNs)), g.Sum(d => d.TimedRequests)))
            .ToList();
        return TypedResults.Ok(rows);
    }
}
