using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Telemetry;

/// <summary>The proxy process, started as a user would with OTEL_EXPORTER_OTLP_ENDPOINT, exports to a real OTLP/HTTP receiver.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task ProxyProcess_OtlpEndpointSet_ExportsTracesMetricsAndLogs()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var receiver = await StartReceiverAsync(received);
        await using var ollama = await FakeOllama.StartAsync();
        var databaseUrl = await TestDatabases.CreateInitializedAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["OLLAMA_URL"] = ollama.Url });
        var (record, key) = ApiKeyFactory.Create("otlp", QuotaLimits.Unlimited, null, DateTime.UtcNow);
        await using (var db = await TestDatabases.OpenAsync(databaseUrl))
        {
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync();
        }

        var port = PostgresServer.FreePort();
        using var proxy = ServiceProcess.Start("OllamaQuota.Proxy", ServiceProcess.NewWorkingDirectory(), new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = databaseUrl,
            ["PROXY_HOST"] = "127.0.0.1",
            ["PROXY_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Urls.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "ollamaquota-proxy-under-test",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            await WaitUntilAsync(async () => (await TryGetAsync(client, "/alive")) == System.Net.HttpStatusCode.OK);

            var response = await client.PostAsync("/api/chat", new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

            await WaitUntilAsync(() => Task.FromResult(
                Has(received, "/v1/traces", "proxy.request") && Has(received, "/v1/metrics", "oq.proxy.requests") && Has(received, "/v1/logs", "")));
            Assert.True(Has(received, "/v1/traces", "ollamaquota-proxy-under-test"));
            Assert.True(Has(received, "/v1/traces", "url.path"), "server spans carry HTTP attributes when exporting");
            Assert.False(Has(received, "/v1/traces", key), "the API key must never be exported");
        }
        finally
        {
            proxy.Kill(entireProcessTree: true);
        }
    }

    private static bool Has(ConcurrentQueue<(string Path, byte[] Body)> received, string path, string text) =>
        received.Any(r => r.Path == path && r.Body.Length > 0 && (text.Length == 0 || r.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0));

    private static async Task<System.Net.HttpStatusCode?> TryGetAsync(HttpClient client, string path)
    {
        try
        {
            return (await client.GetAsync(path)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not become true within 30 s");
            await Task.Delay(100);
        }
    }

    private static async Task<WebApplication> StartReceiverAsync(ConcurrentQueue<(string Path, byte[] Body)> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        return app;
    }
}
