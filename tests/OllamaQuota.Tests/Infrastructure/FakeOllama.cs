using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// A stand-in for Ollama on a free loopback port, speaking its wire format. Only the upstream LLM is faked;
/// everything in front of it is real.
/// </summary>
public sealed class FakeOllama : IAsyncDisposable
{
    public const string Version = "0.12.3";

    private readonly WebApplication _app;

    private FakeOllama(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<FakeOllama> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/api/version", () => Results.Json(new { version = Version }));
        app.MapGet("/api/tags", () => Results.Json(new
        {
            models = new[]
            {
                new { name = "llama3:latest", model = "llama3:latest", size = 4_661_224_676L, modified_at = "2026-11-01T10:00:00Z" },
                new { name = "qwen2.5:0.5b", model = "qwen2.5:0.5b", size = 397_821_319L, modified_at = "2026-11-02T10:00:00Z" },
            },
        }));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FakeOllama(app, url);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
