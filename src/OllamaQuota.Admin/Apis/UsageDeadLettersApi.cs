using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Admin.Apis;

/// <param name="Payload">The usage event as JSON, as the writer had it.</param>
/// <param name="Error">What the database answered.</param>
public sealed record UsageDeadLetterResponse(long Id, Guid EventId, string Payload, string Error, DateTime CreatedAt);

/// <summary>
/// Usage events the database refused for good (e.g. a model name longer than its column), which the writers set aside
/// so the rest of the usage kept flowing; newest first.
/// </summary>
public static class UsageDeadLettersApi
{
    public static RouteGroupBuilder MapUsageDeadLettersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/usage/dead-letters", DeadLetters).WithTags("Usage").WithName("GetUsageDeadLetters");
        return api;
    }

    public static async Task<Results<Ok<List<UsageDeadLetterResponse>>, ValidationProblem>> DeadLetters(
        int? limit, IDbContextFactory<QuotaDbContext> contexts, CancellationToken cancellationToken)
    {
        limit ??= 100;
        if (limit is < 1 or > 1000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["must be between 1 and 1000"] });
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.UsageDeadLetters.AsNoTracking()
            .OrderByDescending(d => d.Id)
            .Take(limit.Value)
            .Select(d => new UsageDeadLetterResponse(d.Id, d.EventId, d.Payload, d.Error, d.CreatedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(rows);
    }
}
