using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Admin.Apis;

public sealed record OllamaModel(string Name, long? Size, DateTimeOffset? ModifiedAt);

public sealed record OllamaModelsResponse(IReadOnlyList<OllamaModel> Models);

public sealed record OllamaVersionResponse(string Version);

/// <summary>What the Admin asks of the configured Ollama itself: its models, and whether it answers at all.</summary>
public static class OllamaApi
{
    public const string HttpClientName = "ollama-admin";

    public static RouteGroupBuilder MapOllamaApi(this RouteGroupBuilder api)
    {
        api.MapGet("/ollama-models", ListModels).WithName("ListOllamaModels").WithTags("Ollama");
        api.MapPost("/settings/test-connection", TestConnection).WithName("TestOllamaConnection").WithTags("Settings");
        return api;
    }

    public static async Task<Results<Ok<OllamaModelsResponse>, ProblemHttpResult>> ListModels(
        IDbContextFactory<QuotaDbContext> contexts, IHttpClientFactory clients, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var url = (await db.Settings.AsNoTracking().SingleAsync(cancellationToken)).OllamaUrl;
        try
        {
            var tags = await clients.CreateClient(HttpClientName)
                .GetFromJsonAsync<TagsResponse>($"{url}/api/tags", cancellationToken);
            var models = (tags?.Models ?? []).Select(m => new OllamaModel(m.Name, m.Size, m.ModifiedAt)).ToList();
            return TypedResults.Ok(new OllamaModelsResponse(models));
        }
        catch (Exception e) when (IsUpstreamFailure(e, cancellationToken))
        {
            return Unreachable(url, e);
        }
    }

    public static async Task<Results<Ok<OllamaVersionResponse>, ValidationProblem, ProblemHttpResult>> TestConnection(
        HttpRequest request, IHttpClientFactory clients, IOptions<AdminOptions> options, CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(request, options.Value.MaxBodyBytes, ["ollama_url"], cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        fields.TryGetString("ollama_url", out var url);
        if (SettingsValidation.CheckOllamaUrl(url) is { } urlError)
        {
            fields.AddError("ollama_url", urlError);
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The connection was not tested.");
        }

        url = SettingsValidation.NormalizeOllamaUrl(url!);
        try
        {
            var version = await clients.CreateClient(HttpClientName)
                .GetFromJsonAsync<VersionResponse>($"{url}/api/version", cancellationToken);
            return TypedResults.Ok(new OllamaVersionResponse(version?.Version ?? "unknown"));
        }
        catch (Exception e) when (IsUpstreamFailure(e, cancellationToken))
        {
            return Unreachable(url, e);
        }
    }

    private static bool IsUpstreamFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or JsonException or NotSupportedException
        || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private static ProblemHttpResult Unreachable(string url, Exception e) => TypedResults.Problem(
        statusCode: StatusCodes.Status502BadGateway,
        title: "Ollama is unreachable",
        detail: e is TaskCanceledException
            ? $"Ollama at {url} did not answer in time."
            : $"Could not talk to Ollama at {url}: {e.Message}");

    private sealed record TagsResponse([property: JsonPropertyName("models")] List<TagsModel>? Models);

    private sealed record TagsModel(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("size")] long? Size,
        [property: JsonPropertyName("modified_at")] DateTimeOffset? ModifiedAt);

    private sealed record VersionResponse([property: JsonPropertyName("version")] string? Version);
}
