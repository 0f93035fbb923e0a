namespace OllamaQuota.AppHost;

internal static class AdminUiResources
{
    /// <summary>The Vite dev server port, as in vite.config.ts (strictPort) and the admin's default ALLOWED_ORIGINS.</summary>
    private const int DevServerPort = 5173;

    /// <summary>
    /// Vite's dev server (hot reload) in front of the admin: vite.config.ts proxies /api to ADMIN_URL. Before it,
    /// `npm install` brings node_modules up to date (quick when nothing changed). The admin itself serves the UI's
    /// last build (dist/, as under start.sh) when there is one, so the SSH-tunnel address works here too.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddAdminUiDevServer(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> admin)
    {
        var directory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "OllamaQuota.AdminUi"));
        admin.WithEnvironment("ADMIN_UI_PATH", Path.Combine(directory, "dist"));
        var devServer = builder.AddExecutable("admin-ui", "npm", directory, "run", "dev");
        var install = builder.AddExecutable("admin-ui-install", "npm", directory, "install", "--no-audit", "--no-fund")
            .WithParentRelationship(devServer);
        return devServer
            .WithHttpEndpoint(port: DevServerPort, targetPort: DevServerPort, isProxied: false)
            .WithEnvironment("ADMIN_URL", admin.GetEndpoint("http"))
            .WithHttpHealthCheck("/")
            .WaitForCompletion(install)
            .WaitFor(admin);
    }
}
