using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;

namespace OllamaQuota.AppHost.Tests;

/// <summary>The deployment manifest, generated as azd generates it (<c>--publisher manifest</c>), in the default mode.</summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task Publish_Manifest_DescribesProxyAdminAndBackingServers()
    {
        var manifest = await PublishManifestAsync();
        var resources = manifest["resources"]!.AsObject();

        // The proxy: the only external endpoint, from the repository's Dockerfile image.
        var proxy = resources["proxy"]!;
        Assert.Equal("container.v1", proxy["type"]!.GetValue<string>());
        Assert.Equal("Dockerfile", Path.GetFileName(proxy["build"]!["dockerfile"]!.GetValue<string>()));
        Assert.True(proxy["bindings"]!["http"]!["external"]!.GetValue<bool>());
        Assert.Equal(8000, proxy["bindings"]!["http"]!["targetPort"]!.GetValue<int>());
        Assert.Equal("0.0.0.0", proxy["env"]!["PROXY_HOST"]!.GetValue<string>());

        // The admin: internal ingress only; its image serves the built Admin UI.
        var admin = resources["admin"]!;
        Assert.Equal("container.v1", admin["type"]!.GetValue<string>());
        Assert.False(admin["bindings"]!["http"]!["external"]?.GetValue<bool>() ?? false);
        Assert.Equal(8001, admin["bindings"]!["http"]!["targetPort"]!.GetValue<int>());
        Assert.Equal("{admin-password.value}", admin["env"]!["ADMIN_PASSWORD"]!.GetValue<string>());
        Assert.Equal(["dotnet", "/app/admin/OllamaQuota.Admin.dll", "init-db"], resources["init-db"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()));

        // Both services find PostgreSQL, Redis and Ollama through the manifest's expressions.
        foreach (var service in new[] { proxy, admin })
        {
            Assert.Equal("{quotadb.connectionString}", service["env"]!["ConnectionStrings__quotadb"]!.GetValue<string>());
            Assert.Equal("{redis.connectionString}", service["env"]!["ConnectionStrings__redis"]!.GetValue<string>());
            Assert.Equal("{ollama.bindings.http.url}", service["env"]!["OLLAMA_URL"]!.GetValue<string>());
        }

        Assert.StartsWith("container.", resources["postgres"]!["type"]!.GetValue<string>());
        Assert.Equal("value.v0", resources["quotadb"]!["type"]!.GetValue<string>());
        Assert.StartsWith("container.", resources["redis"]!["type"]!.GetValue<string>());
        var ollama = resources["ollama"]!;
        Assert.StartsWith("ollama/ollama", ollama["image"]!.GetValue<string>());
        Assert.Equal(11434, ollama["bindings"]!["http"]!["targetPort"]!.GetValue<int>());
        Assert.Contains(ollama["volumes"]!.AsArray(), volume => volume!["target"]!.GetValue<string>() == "/root/.ollama");

        // Development only: the Vite dev server is not deployed.
        Assert.DoesNotContain(resources, resource => resource.Key.StartsWith("admin-ui", StringComparison.Ordinal));
    }

    [Fact]
    public void AzureYaml_Services_PointAtTheAppHost()
    {
        var root = RepositoryRoot();
        var azure = File.ReadAllLines(Path.Combine(root, "azure.yaml")).Select(line => line.Trim()).ToArray();
        var project = azure.Single(line => line.StartsWith("project:", StringComparison.Ordinal))["project:".Length..].Trim();
        Assert.True(File.Exists(Path.Combine(root, project)), $"azure.yaml names {project}, which does not exist");
        Assert.EndsWith("OllamaQuota.AppHost.csproj", project);
        Assert.Contains("host: containerapp", azure);
    }

    private static async Task<JsonNode> PublishManifestAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var directory = Directory.CreateTempSubdirectory("oq-manifest-");
        try
        {
            var path = Path.Combine(directory.FullName, "aspire-manifest.json");
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OllamaQuota_AppHost>(
                ["--publisher", "manifest", "--output-path", path], timeout.Token);
            await using var app = await builder.BuildAsync(timeout.Token);
            await app.RunAsync(timeout.Token);
            return JsonNode.Parse(await File.ReadAllTextAsync(path, timeout.Token))!;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OllamaQuota.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No OllamaQuota.slnx above {AppContext.BaseDirectory}");
    }
}
