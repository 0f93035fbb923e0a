using Microsoft.Extensions.FileProviders;

namespace OllamaQuota.Admin;

/// <summary>
/// Serves the built React UI at <c>/</c>: from <c>ADMIN_UI_PATH</c> (the run command points it at the AdminUi
/// project's <c>dist</c>), else from <c>wwwroot</c> (published, as in the container). Unknown non-API paths fall back
/// to index.html so the single-page app can route.
/// </summary>
public static class AdminUi
{
    public static WebApplication MapAdminUi(this WebApplication app)
    {
        var root = FindRoot(app.Configuration["ADMIN_UI_PATH"], app.Environment.ContentRootPath);
        if (root is null)
        {
            app.MapGet("/", () => TypedResults.Content(
                "The Admin UI has not been built: run ./start.sh, or build it (cd src/OllamaQuota.AdminUi && npm ci && npm run build) and set ADMIN_UI_PATH to its dist folder.",
                "text/plain")).ExcludeFromDescription();
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        app.MapFallback("{*path:nonfile}", (HttpContext context) =>
            context.Request.Path.StartsWithSegments("/api")
                ? Results.NotFound()
                : Results.File(Path.Combine(root, "index.html"), "text/html"));
        return app;
    }

    private static string? FindRoot(string? configured, string contentRoot)
    {
        string[] candidates =
        [
            configured ?? "",
            Path.Combine(contentRoot, "wwwroot"),
            Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        ];
        return candidates
            .Where(path => path.Length > 0 && File.Exists(Path.Combine(path, "index.html")))
            .Select(Path.GetFullPath)
            .FirstOrDefault();
    }
}
