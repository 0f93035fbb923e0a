using System.Collections.Concurrent;
using System.Diagnostics;
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
        var (proxy, client, key) = await StartProxyAsync(DatabaseKind.Sqlite, ollama, ExportingTo(receiver));
        try
        {
            var response = await client.PostAsync("/api/chat", ChatRequest());
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
            client.Dispose();
        }
    }

    [Fact]
    public async Task ProxyProcess_PostgreSqlAndOtlpEndpoint_ExportsInstrumentedSpansButNotHealthProbes()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var receiver = await StartReceiverAsync(received);
        await using var ollama = await FakeOllama.StartAsync();
        var (proxy, client, _) = await StartProxyAsync(DatabaseKind.PostgreSql, ollama, ExportingTo(receiver));
        try
        {
            // The probe ends before the chat request starts, so had it been exported it would be in the same batch or an earlier one.
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
            var response = await client.PostAsync("/api/chat", ChatRequest());
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

            List<OtlpSpan> spans = [];
            await WaitUntilAsync(() =>
            {
                spans = [.. received.Where(r => r.Path == "/v1/traces").SelectMany(r => OtlpSpans.Read(r.Body))];
                return Task.FromResult(
                    spans.Any(s => s.Scope == "Microsoft.AspNetCore" && s.Attributes.GetValueOrDefault("url.path") == "/api/chat")
                    && spans.Any(s => s.Scope == "System.Net.Http" && s.Attributes.GetValueOrDefault("url.full") == $"{ollama.Url}/api/chat")
                    && spans.Any(s => s.Scope == "Npgsql" && s.Attributes.GetValueOrDefault("db.system.name") == "postgresql")
                    && spans.Any(s => s.Scope == "OllamaQuota.Proxy" && s.Name == "proxy.request"));
            });
            Assert.DoesNotContain(spans, s => s.Attributes.GetValueOrDefault("url.path") is "/health" or "/alive");
        }
        finally
        {
            proxy.Kill(entireProcessTree: true);
            client.Dispose();
        }
    }

    [Fact]
    public async Task ProxyProcess_OtlpEndpointUnset_ExportsNothing()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var receiver = await StartReceiverAsync(received);
        await using var ollama = await FakeOllama.StartAsync();

        // Per-signal endpoints alone would be honoured by an OTLP exporter, so only their being ignored keeps the receiver empty.
        var perSignal = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = $"{receiver.Urls.First()}/v1/traces",
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = $"{receiver.Urls.First()}/v1/metrics",
            ["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"] = $"{receiver.Urls.First()}/v1/logs",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        var (proxy, client, _) = await StartProxyAsync(DatabaseKind.Sqlite, ollama, perSignal);
        using (proxy)
        using (client)
        {
            var response = await client.PostAsync("/api/chat", ChatRequest());
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

            // A graceful stop disposes the providers, which flush whatever an exporter still held.
            await ServiceProcess.StopAsync(proxy, TimeSpan.FromSeconds(30));
            Assert.Equal(0, proxy.ExitCode);
            Assert.Empty(received);
        }
    }

    private static Dictionary<string, string?> ExportingTo(WebApplication receiver) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Urls.First(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_SERVICE_NAME"] = "ollamaquota-proxy-under-test",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    };

    /// <summary>The proxy process over a fresh database holding one unlimited key, answering <c>/alive</c>; the client sends that key.</summary>
    private static async Task<(Process Proxy, HttpClient Client, string Key)> StartProxyAsync(
        DatabaseKind kind, FakeOllama ollama, Dictionary<string, string?> telemetry)
    {
        var databaseUrl = await TestDatabases.CreateInitializedAsync(kind, new Dictionary<string, string?> { ["OLLAMA_URL"] = ollama.Url });
        var (record, key) = ApiKeyFactory.Create("otlp", QuotaLimits.Unlimited, null, DateTime.UtcNow);
        await using (var db = await TestDatabases.OpenAsync(databaseUrl))
        {
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync();
        }

        var port = PostgresServer.FreePort();
        var environment = new Dictionary<string, string?>(telemetry)
        {
            ["DATABASE_URL"] = databaseUrl,
            ["PROXY_HOST"] = "127.0.0.1",
            ["PROXY_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var proxy = ServiceProcess.Start("OllamaQuota.Proxy", ServiceProcess.NewWorkingDirectory(), environment);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        await WaitUntilAsync(async () => (await TryGetAsync(client, "/alive")) == System.Net.HttpStatusCode.OK);
        return (proxy, client, key);
    }

    private static StringContent ChatRequest() =>
        new("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json");

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
