// The whole system under Aspire: `dotnet run --project src/OllamaQuota.AppHost` (PostgreSQL, Redis and Ollama as
// containers), or `... -- --servers existing` on servers that already run (see BackingServers). The services get
// the same variables as under start.sh and docker-compose.yml (DESIGN.md §4) plus Aspire's ConnectionStrings__*
// and OTEL_*, so none of them needs to know it runs under Aspire.
using OllamaQuota.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Seeded into the settings row by init-db (changeable in the UI afterwards); small enough for a laptop CPU.
var defaultModel = builder.Configuration["DEFAULT_MODEL"] is { Length: > 0 } model ? model : "llama3.2:1b";
var servers = BackingServers.Add(builder, defaultModel);
var adminPassword = builder.AddParameter("admin-password", secret: true);

// Loopback on a developer machine. A published container must listen on all interfaces; there the ingress decides
// what is reachable, and only the proxy is external.
var listenHost = builder.ExecutionContext.IsPublishMode ? "0.0.0.0" : "127.0.0.1";

// 1. Migrations are a step of their own because the services refuse to start on an unmigrated database. init-db
//    also seeds the settings row from OLLAMA_URL and DEFAULT_MODEL.
var initDb = builder.AddService<Projects.OllamaQuota_Admin>("init-db", servers, defaultModel, ServiceImage.Admin, "init-db")
    .WaitFor(servers.Database);

// 2. Endpoints are not proxied by Aspire: each service binds <X>_HOST:<X>_PORT itself, as everywhere else, on the
//    fixed ports of the docs and the SSH tunnel (PROXY_PORT / ADMIN_PORT move them). The services need Redis and
//    Ollama answering, but not the model download (ollama-pull, a resource of its own).
var proxy = builder.AddService<Projects.OllamaQuota_Proxy>("proxy", servers, defaultModel, ServiceImage.Proxy)
    .WithHttpEndpoint(port: builder.PortSetting("PROXY_PORT", 8000), env: "PROXY_PORT", isProxied: false)
    .WithEndpoint("http", endpoint => endpoint.TargetHost = listenHost)
    .WithEnvironment("PROXY_HOST", listenHost)
    .WithExternalHttpEndpoints()
    .WithReference(servers.Redis)
    .WithHttpHealthCheck("/health")
    .WaitForCompletion(initDb)
    .WaitFor(servers.Redis)
    .WaitFor(servers.Ollama);

// 3. The admin API holds every key: never external, and bound to 127.0.0.1 (DESIGN.md §1).
var admin = builder.AddService<Projects.OllamaQuota_Admin>("admin", servers, defaultModel, ServiceImage.Admin)
    .WithHttpEndpoint(port: builder.PortSetting("ADMIN_PORT", 8001), env: "ADMIN_PORT", isProxied: false)
    .WithEndpoint("http", endpoint => endpoint.TargetHost = listenHost)
    .WithEnvironment("ADMIN_HOST", listenHost)
    .WithEnvironment("ADMIN_PASSWORD", adminPassword)
    .WithEnvironment("PROXY_PORT", proxy.GetEndpoint("http").Property(EndpointProperty.TargetPort))
    .WithReference(servers.Redis)
    .WithHttpHealthCheck("/health")
    .WaitForCompletion(initDb)
    .WaitFor(servers.Redis)
    .WaitFor(servers.Ollama);

// 4. The Admin UI: in run mode Vite's dev server (hot reload) in front of the admin; published, the admin serves the
//    built UI itself (the Dockerfile's image carries it in wwwroot).
if (builder.ExecutionContext.IsRunMode)
{
    builder.AddAdminUiDevServer(admin);
}

builder.Build().Run();
