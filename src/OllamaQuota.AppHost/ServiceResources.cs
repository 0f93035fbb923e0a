using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace OllamaQuota.AppHost;

/// <summary>Where each service's program lies in the repository's image (Dockerfile, docker-entrypoint.sh).</summary>
internal static class ServiceImage
{
    public const string Proxy = "/app/proxy/OllamaQuota.Proxy.dll";

    public const string Admin = "/app/admin/OllamaQuota.Admin.dll";
}

internal static class ServiceResources
{
    /// <summary>The repository root, relative to the AppHost: the build context of the Dockerfile.</summary>
    private const string RepositoryRoot = "../..";

    /// <summary>
    /// One of our programs with the database and the upstream. Only ConnectionStrings__* is injected (this must
    /// precede WithReference, which reads it): the split-out QUOTADB_PASSWORD, REDIS_URI, ... would only spread
    /// secrets. Published, it runs from the repository's Dockerfile image, the one docker-compose.yml runs, so the
    /// admin serves the Admin UI built into it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(
        this IDistributedApplicationBuilder builder, string name, BackingServers servers, string defaultModel, string imageProgram, params string[] args)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, launchProfileName: null)
            .WithArgs(args)
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
            .WithReference(servers.Database)
            .WithEnvironment("OLLAMA_URL", servers.OllamaUrl)
            .WithEnvironment("DEFAULT_MODEL", defaultModel)
            .PublishAsDockerFile(container => container
                .WithDockerfile(RepositoryRoot)
                .WithArgs(["dotnet", imageProgram, .. args]));

    /// <summary>A port from the AppHost's configuration (PROXY_PORT, ADMIN_PORT); 0 means any free port (null).</summary>
    public static int? PortSetting(this IDistributedApplicationBuilder builder, string name, int defaultPort)
    {
        if (builder.Configuration[name] is not { Length: > 0 } value)
        {
            return defaultPort;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new ArgumentException($"{name} '{value}' is not a port number (0–65535).");
        }

        return port == 0 ? null : port;
    }
}
