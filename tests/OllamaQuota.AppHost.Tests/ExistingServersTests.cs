using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OllamaQuota.AppHost.Tests.Infrastructure;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.AppHost.Tests;

/// <summary>The AppHost in its existing-servers mode (<c>--servers existing</c>), started for real under DCP.</summary>
[Collection(RunningAppHostCollection.Name)]
public sealed class ExistingServersTests(RunningAppHost host)
{
    private static readonly string[] Services = ["init-db", "proxy", "admin"];

    [Fact]
    public void Start_ExistingServers_InitDbFinishesAndServicesAreHealthy()
    {
        var initDb = host.Snapshot("init-db");
        Assert.Equal(KnownResourceStates.Finished, initDb.State?.Text);
        Assert.Equal(0, initDb.ExitCode);
        foreach (var name in new[] { "proxy", "admin", "ollama" })
        {
            var snapshot = host.Snapshot(name);
            Assert.Equal(KnownResourceStates.Running, snapshot.State?.Text);
            Assert.Equal(HealthStatus.Healthy, snapshot.HealthStatus);
        }
    }

    [Fact]
    public async Task Chat_KeyCreatedThroughAdmin_ProxiedAndUsageShownInAdmin()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var admin = host.App.CreateHttpClient("admin", "http");
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunningAppHost.AdminPassword);
        var name = $"apphost-{Guid.NewGuid():N}";
        using var created = await admin.PostAsJsonAsync("/api/api-keys", new { name, daily_tokens = 100_000 }, timeout.Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonObject>(timeout.Token))!;

        using var proxy = host.App.CreateHttpClient("proxy", "http");
        using var chat = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
        {
            Content = JsonContent.Create(new { model = "llama3", stream = false, messages = new[] { new { role = "user", content = "Hello" } } }),
        };
        chat.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key["key"]!.GetValue<string>());
        using var answer = await proxy.SendAsync(chat, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var reply = (await answer.Content.ReadFromJsonAsync<JsonObject>(timeout.Token))!;
        Assert.True(reply["done"]!.GetValue<bool>());
        Assert.Contains(host.Ollama.Requests, request => request.Path == "/api/chat" && request.Authorization is null);

        // Usage is written in batches; the admin shows it once the writer has stored it.
        var usage = await WaitForUsageAsync(admin, key["id"]!.GetValue<string>(), timeout.Token);
        Assert.Equal(1, usage["requests"]!.GetValue<long>());
        Assert.Equal(FakeOllama.PromptEvalCount, usage["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(FakeOllama.DefaultCompletionTokens, usage["completion_tokens"]!.GetValue<long>());
    }

    [Fact]
    public void Services_Started_GetTelemetryEndpointConnectionStringsAndOllamaUrl()
    {
        foreach (var service in Services)
        {
            var environment = host.Environment(service);
            Assert.True(environment.TryGetValue("OTEL_EXPORTER_OTLP_ENDPOINT", out var otlp) && Uri.IsWellFormedUriString(otlp, UriKind.Absolute),
                $"{service}: OTEL_EXPORTER_OTLP_ENDPOINT is '{otlp}'");
            Assert.Equal(service, environment.GetValueOrDefault("OTEL_SERVICE_NAME"));
            Assert.Equal(host.DatabaseConnectionString, environment.GetValueOrDefault("ConnectionStrings__quotadb"));
            Assert.Equal(host.Ollama.Url, environment.GetValueOrDefault("OLLAMA_URL"));
        }

        foreach (var service in new[] { "proxy", "admin" })
        {
            Assert.Equal(host.RedisConnectionString, host.Environment(service).GetValueOrDefault("ConnectionStrings__redis"));
        }

        Assert.Equal(RunningAppHost.AdminPassword, host.Environment("admin").GetValueOrDefault("ADMIN_PASSWORD"));
    }

    [Fact]
    public void Endpoints_Model_ProxyIsTheOnlyExternalOne()
    {
        var model = host.App.Services.GetRequiredService<DistributedApplicationModel>();
        var external = model.Resources
            .SelectMany(resource => resource.Annotations.OfType<EndpointAnnotation>().Select(endpoint => (resource.Name, endpoint)))
            .Where(pair => pair.endpoint.IsExternal)
            .Select(pair => $"{pair.Name}/{pair.endpoint.Name}");
        Assert.Equal(["proxy/http"], external);
    }

    [Theory]
    [InlineData("admin", "ADMIN_HOST", "ADMIN_PORT")]
    [InlineData("proxy", "PROXY_HOST", "PROXY_PORT")]
    public void Service_Started_ListensOnLoopbackOnly(string service, string hostVariable, string portVariable)
    {
        var environment = host.Environment(service);
        Assert.Equal("127.0.0.1", environment.GetValueOrDefault(hostVariable));
        var port = int.Parse(environment.GetValueOrDefault(portVariable)!, CultureInfo.InvariantCulture);
        Assert.Equal(port, host.App.GetEndpoint(service, "http").Port);

        // What the kernel says the process bound, not what it was told: every listening socket on its port.
        Assert.Equal([IPAddress.Loopback], ListeningAddresses(port));
    }

    private static async Task<JsonNode> WaitForUsageAsync(HttpClient admin, string keyId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var keys = (await admin.GetFromJsonAsync<JsonArray>("/api/api-keys", cancellationToken))!;
            var usage = keys.Single(k => k!["id"]!.GetValue<string>() == keyId)!["usage"]!["today"]!;
            if (usage["requests"]!.GetValue<long>() > 0)
            {
                return usage;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    private static IPAddress[] ListeningAddresses(int port) =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 3 && fields[3] == "0A" && fields[1].Contains(':', StringComparison.Ordinal))
            .Select(fields => fields[1].Split(':'))
            .Where(local => int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(local => ParseProcAddress(local[0]))
            .Distinct()
            .ToArray();

    // /proc/net/tcp* print an address as the hex of its bytes in host order, 32 bits at a time.
    private static IPAddress ParseProcAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        return new IPAddress(bytes);
    }
}
