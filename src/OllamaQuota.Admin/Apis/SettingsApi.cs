using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Admin.Apis;

public sealed record SettingsResponse(string OllamaUrl, string DefaultModel)
{
    public static SettingsResponse From(SettingsRow row) => new(row.OllamaUrl, row.DefaultModel);
}

public static class SettingsApi
{
    public static RouteGroupBuilder MapSettingsApi(this RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings").WithTags("Settings");
        settings.MapGet("/", GetSettings).WithName("GetSettings");
        settings.MapPut("/", UpdateSettings).WithName("UpdateSettings");
        return api;
    }

    public static async Task<Ok<SettingsResponse>> GetSettings(
        IDbContextFactory<QuotaDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return TypedResults.Ok(SettingsResponse.From(await db.Settings.AsNoTracking().SingleAsync(cancellationToken)));
    }

    /// <summary>Either field may be left out; what is sent must be valid or nothing changes.</summary>
    public static async Task<Results<Ok<SettingsResponse>, ValidationProblem, ProblemHttpResult>> UpdateSettings(
        HttpRequest request,
        IDbContextFactory<QuotaDbContext> contexts,
        KeyChangeNotifier notifier,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, ["ollama_url", "default_model"], cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var hasUrl = fields.TryGetString("ollama_url", out var url);
        if (hasUrl && SettingsValidation.CheckOllamaUrl(url) is { } urlError)
        {
            fields.AddError("ollama_url", urlError);
        }

        var hasModel = fields.TryGetString("default_model", out var model);
        if (hasModel && SettingsValidation.CheckDefaultModel(model) is { } modelError)
        {
            fields.AddError("default_model", modelError);
        }

        if (!fields.HasErrors && !hasUrl && !hasModel)
        {
            fields.AddError("body", "name ollama_url, default_model or both");
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The settings were not changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Settings.SingleAsync(cancellationToken);
        if (hasUrl)
        {
            row.OllamaUrl = SettingsValidation.NormalizeOllamaUrl(url!);
        }

        if (hasModel)
        {
            row.DefaultModel = model!.Trim();
        }

        await db.SaveChangesAsync(cancellationToken);
        await notifier.SettingsChangedAsync(db, cancellationToken);
        return TypedResults.Ok(SettingsResponse.From(row));
    }
}
