using OllamaQuota.Proxy.Forwarding;

namespace OllamaQuota.Proxy.Routing;

public static class ProxyApi
{
    private static readonly ProxyEndpoint[] Posts =
    [
        ProxyEndpoint.Generate, ProxyEndpoint.Chat, ProxyEndpoint.Embed, ProxyEndpoint.LegacyEmbeddings, ProxyEndpoint.Show,
        ProxyEndpoint.ChatCompletions, ProxyEndpoint.Completions, ProxyEndpoint.Embeddings,
    ];

    private static readonly HashSet<string> KnownPaths = new(
        [.. Posts.Select(e => e.Path), ProxyEndpoint.Tags.Path, ProxyEndpoint.Version.Path, "/api/versions", ProxyEndpoint.Models.Path],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The Ollama and OpenAI routes a key may use. Every other /api/* route (model management: pull, push, create,
    /// copy, delete, blobs, ps…) is refused with 403; anything else is 404.
    /// </summary>
    public static WebApplication MapProxyApi(this WebApplication app)
    {
        foreach (var endpoint in Posts)
        {
            app.MapPost(endpoint.Path, (HttpContext context, ProxyPipeline pipeline) => pipeline.HandleAsync(context, endpoint))
                .WithName(endpoint.Path).WithTags(endpoint.Style.ToString());
        }

        app.MapGet("/api/tags", (HttpContext context, ProxyPipeline pipeline) => pipeline.HandleAsync(context, ProxyEndpoint.Tags))
            .WithName("/api/tags").WithTags(nameof(ApiStyle.Ollama));
        app.MapGet("/api/version", (HttpContext context, ProxyPipeline pipeline) => pipeline.HandleAsync(context, ProxyEndpoint.Version))
            .WithName("/api/version").WithTags(nameof(ApiStyle.Ollama));
        app.MapGet("/api/versions", (HttpContext context, ProxyPipeline pipeline) => pipeline.HandleAsync(context, ProxyEndpoint.Version))
            .WithName("/api/versions").WithTags(nameof(ApiStyle.Ollama));
        app.MapGet("/v1/models", (HttpContext context, ProxyPipeline pipeline) => pipeline.HandleAsync(context, ProxyEndpoint.Models))
            .WithName("/v1/models").WithTags(nameof(ApiStyle.OpenAi));
        app.MapGet("/v1/models/{**model}", (HttpContext context, ProxyPipeline pipeline) => pipeline.HandleAsync(context, ProxyEndpoint.Models))
            .WithName("/v1/models/{model}").WithTags(nameof(ApiStyle.OpenAi));

        app.MapQuotaApi();
        app.Map("/api/{**rest}", RefuseOtherApiRoute).WithName("/api/*").WithTags(nameof(ApiStyle.Ollama));
        app.MapFallback(NotFound);
        return app;
    }

    private static Task RefuseOtherApiRoute(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (KnownPaths.Contains(path))
        {
            return ProxyErrors.WriteAsync(context, ApiStyle.Ollama, StatusCodes.Status405MethodNotAllowed,
                $"{context.Request.Method} is not allowed on {path}.");
        }

        return ProxyErrors.WriteAsync(context, ApiStyle.Ollama, StatusCodes.Status403Forbidden,
            $"{path} is not available through this proxy: model management is for the Ollama administrator.");
    }

    private static Task NotFound(HttpContext context) =>
        ProxyErrors.WriteAsync(context, ProxyErrors.StyleOf(context.Request.Path), StatusCodes.Status404NotFound,
            $"{context.Request.Path} is not an endpoint of this proxy.");
}
