using Microsoft.Extensions.Configuration;

namespace OllamaQuota.AppHost;

/// <summary>
/// PostgreSQL, Redis and Ollama as the services see them: two connection strings and a URL. Where they come from is
/// the one switch of this AppHost, <c>Servers</c>: <c>containers</c> (the default, needs Docker or Podman) or
/// <c>existing</c> (servers already running, for machines without a container runtime, and the tests).
/// </summary>
internal sealed record BackingServers(
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResource> Ollama,
    ReferenceExpression OllamaUrl)
{
    public const string SwitchName = "Servers";

    /// <summary>The names the services read: <c>ConnectionStrings__quotadb</c>, <c>ConnectionStrings__redis</c>.</summary>
    public const string DatabaseName = "quotadb";

    public const string RedisName = "redis";

    public static BackingServers Add(IDistributedApplicationBuilder builder, string defaultModel) =>
        builder.Configuration[SwitchName]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "containers" => AddContainers(builder, defaultModel),
            "existing" => AddExisting(builder),
            var other => throw new ArgumentException(
                $"{SwitchName} '{other}' is neither 'containers' nor 'existing' (set it with --servers existing, or {SwitchName}=existing in the environment)."),
        };

    private static BackingServers AddContainers(IDistributedApplicationBuilder builder, string defaultModel)
    {
        // The Postgres password is generated once and kept in user secrets, so the data volume stays usable across runs.
        var database = builder.AddPostgres("postgres").WithDataVolume().AddDatabase(DatabaseName);

        // Plain TCP: with a trusted dev certificate Aspire 13 makes Redis TLS-only, and every client would then have
        // to trust that certificate too.
#pragma warning disable ASPIRECERTIFICATES001 // experimental API
        var redis = builder.AddRedis(RedisName).WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

        // Host port 11435, not 11434: init-db seeds OLLAMA_URL into the settings row, which outlives this run in the
        // Postgres volume, so the port must be fixed; and 11434 stays free for an Ollama installed on the host.
        var ollama = builder.AddContainer("ollama", "ollama/ollama")
            .WithHttpEndpoint(port: 11435, targetPort: 11434, name: "http")
            .WithVolume("ollama-models", "/root/.ollama")
            .WithHttpHealthCheck("/api/version");
        if (builder.Configuration.GetValue<bool>("Ollama:Gpu"))
        {
            // Docker with the NVIDIA Container Toolkit; Podman spells it --device nvidia.com/gpu=all.
            ollama.WithContainerRuntimeArgs("--gpus", "all");
        }

        // One-shot, as in docker-compose.yml: pulls the default model into the volume (a no-op once it is there).
        // Nothing waits for it: requests for the model fail until the download has finished.
        builder.AddContainer("ollama-pull", "ollama/ollama")
            .WithArgs("pull", defaultModel)
            .WithEnvironment("OLLAMA_HOST", ollama.GetEndpoint("http"))
            .WithParentRelationship(ollama)
            .WaitFor(ollama);

        return new BackingServers(database, redis, ollama, ReferenceExpression.Create($"{ollama.GetEndpoint("http")}"));
    }

    /// <summary>
    /// Servers that already run: <c>ConnectionStrings:quotadb</c> (Npgsql key=value form),
    /// <c>ConnectionStrings:redis</c> (<c>host:port[,password=…]</c>) and the parameter <c>ollama-url</c>, from the
    /// command line, the environment or user secrets; the dashboard asks for any that is missing.
    /// </summary>
    private static BackingServers AddExisting(IDistributedApplicationBuilder builder)
    {
        var ollamaUrl = builder.AddParameter("ollama-url");
        var ollama = builder.AddExternalService("ollama", ollamaUrl).WithHttpHealthCheck("/api/version");
        return new BackingServers(
            builder.AddConnectionString(DatabaseName),
            builder.AddConnectionString(RedisName),
            ollama,
            ReferenceExpression.Create($"{ollamaUrl}"));
    }
}
