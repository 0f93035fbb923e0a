// The whole system on one machine with containers: `dotnet run --project src/OllamaQuota.AppHost`.
// The services get the same variables as under start.sh and docker-compose.yml (DESIGN.md §4) plus
// Aspire's ConnectionStrings__* and OTEL_*, so none of them needs to know it runs under Aspire.

var builder = DistributedApplication.CreateBuilder(args);

// The Postgres password is generated once and kept in user secrets, so the data volume stays usable across runs.
var quotadb = builder.AddPostgres("postgres").WithDataVolume().AddDatabase("quotadb");

// Plain TCP: with a trusted dev certificate Aspire 13 makes Redis TLS-only, and the in-house RESP client
// would then have to trust that certificate too.
#pragma warning disable ASPIRECERTIFICATES001 // experimental API
var redis = builder.AddRedis("redis").WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

// A fixed host port because init-db seeds OLLAMA_URL into the settings row, which outlives this run in the
// Postgres volume; 11434 stays free for an Ollama installed on the host. Add .WithGPUSupport() where a GPU exists.
var ollama = builder.AddOllama("ollama", port: 11435).WithDataVolume();
var model = ollama.AddModel("llama", "llama3.2:1b"); // small enough for a laptop CPU

var adminPassword = builder.AddParameter("admin-password", secret: true);

// Loopback on a developer machine. A published container must listen on all interfaces; there the ingress
// decides what is reachable, and only the proxy is external.
var listenHost = builder.ExecutionContext.IsPublishMode ? "0.0.0.0" : "127.0.0.1";

// Every process of ours gets the database and the upstream. Only ConnectionStrings__* is injected (this must
// precede WithReference, which reads it): the split-out QUOTADB_PASSWORD, REDIS_URI, ... would only spread
// secrets, and OLLAMA_HOST means something else to Ollama's own tooling.
IResourceBuilder<ProjectResource> AddService<TProject>(string name) where TProject : IProjectMetadata, new() =>
    builder.AddProject<TProject>(name, launchProfileName: null)
        .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
        .WithReference(quotadb)
        .WithEnvironment("OLLAMA_URL", ollama.GetEndpoint("http"))
        .WithEnvironment("DEFAULT_MODEL", model.Resource.ModelName);

// Migrations are a step of their own because the services refuse to start on an unmigrated database.
// init-db also seeds the settings row from OLLAMA_URL and DEFAULT_MODEL.
var initDb = AddService<Projects.OllamaQuota_Admin>("init-db")
    .WithArgs("init-db")
    .WaitFor(quotadb);

// Endpoints are not proxied by Aspire: each service binds <X>_HOST:<X>_PORT itself, as everywhere else, and the
// fixed ports match the docs and the SSH tunnel. The services need Redis and Ollama answering, but not the model
// download, which the dashboard shows as a resource of its own.
var proxy = AddService<Projects.OllamaQuota_Proxy>("proxy")
    .WithHttpEndpoint(port: 8000, targetPort: 8000, env: "PROXY_PORT", isProxied: false)
    .WithEndpoint("http", e => e.TargetHost = listenHost)
    .WithEnvironment("PROXY_HOST", listenHost)
    .WithExternalHttpEndpoints()
    .WithReference(redis)
    .WithReference(model, connectionName: "ollama")
    .WithHttpHealthCheck("/health")
    .WaitForCompletion(initDb)
    .WaitFor(redis)
    .WaitFor(ollama);

// The admin API holds every key: never external, and bound to 127.0.0.1 (DESIGN.md §1).
var admin = AddService<Projects.OllamaQuota_Admin>("admin")
    .WithHttpEndpoint(port: 8001, targetPort: 8001, env: "ADMIN_PORT", isProxied: false)
    .WithEndpoint("http", e => e.TargetHost = listenHost)
    .WithEnvironment("ADMIN_HOST", listenHost)
    .WithEnvironment("ADMIN_PASSWORD", adminPassword)
    .WithReference(redis)
    .WithReference(model, connectionName: "ollama")
    .WithHttpHealthCheck("/health")
    .WaitForCompletion(initDb)
    .WaitFor(redis)
    .WaitFor(ollama);

// Development: Vite's dev server (hot reload, loopback); vite.config.ts proxies /api to ADMIN_URL.
// Publish: no UI server at all; the built dist/ is copied into the admin's wwwroot, which serves it.
var adminUi = builder.AddViteApp("admin-ui", "../OllamaQuota.AdminUi")
    .WithEnvironment("ADMIN_URL", admin.GetEndpoint("http"))
    .WaitFor(admin);
admin.PublishWithContainerFiles(adminUi, "./wwwroot");

builder.Build().Run();
