using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace OllamaQuota.AppHost.Tests;

/// <summary>
/// The Admin UI's dev server, as modelled in run mode. Not started here (the running-AppHost tests leave it out:
/// it needs npm packages and the fixed port 5173); what is checked is that it would run Vite in front of the admin.
/// </summary>
public sealed class AdminUiResourcesTests
{
    [Fact]
    public async Task AddAdminUiDevServer_RunMode_RunsViteAfterInstallInFrontOfTheAdminWhichServesTheBuild()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OllamaQuota_AppHost>(timeout.Token);
        var devServer = builder.Resources.OfType<ExecutableResource>().Single(resource => resource.Name == "admin-ui");
        var install = builder.Resources.OfType<ExecutableResource>().Single(resource => resource.Name == "admin-ui-install");

        var package = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(devServer.WorkingDirectory, "package.json"), timeout.Token))!;
        Assert.Equal("vite", package["scripts"]!["dev"]!.GetValue<string>());
        Assert.Equal("npm", devServer.Command);
        Assert.Equal<object>(["run", "dev"], await ArgumentsAsync(devServer, timeout.Token));
        Assert.Equal(("npm", devServer.WorkingDirectory), (install.Command, install.WorkingDirectory));
        Assert.Equal("install", (await ArgumentsAsync(install, timeout.Token))[0]);

        var endpoint = Assert.Single(devServer.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal((5173, false), (endpoint.Port, endpoint.IsExternal));
        var adminUrl = Assert.IsType<EndpointReference>((await EnvironmentAsync(devServer, timeout.Token))["ADMIN_URL"]);
        Assert.Equal(("admin", "http"), (adminUrl.Resource.Name, adminUrl.EndpointName));

        var admin = builder.Resources.Single(resource => resource.Name == "admin");
        Assert.Equal(Path.Combine(devServer.WorkingDirectory, "dist"), (await EnvironmentAsync(admin, timeout.Token))["ADMIN_UI_PATH"]);

        var waits = devServer.Annotations.OfType<WaitAnnotation>().Select(wait => (wait.Resource.Name, wait.WaitType)).ToArray();
        Assert.Contains(("admin-ui-install", WaitType.WaitForCompletion), waits);
        Assert.Contains(("admin", WaitType.WaitUntilHealthy), waits);
    }

    // The values as the resource's callbacks produce them, before DCP resolves any reference.
    private static async Task<List<object>> ArgumentsAsync(IResource resource, CancellationToken cancellationToken)
    {
        var context = new CommandLineArgsCallbackContext([], resource, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. context.Args];
    }

    private static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource, CancellationToken cancellationToken)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, cancellationToken: cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables;
    }
}
