using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OllamaQuota.Tests.Telemetry;

public sealed class ProxyTelemetryTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync();

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task ProxiedRequest_ExportsSpanTreeWithStepsAndAttributes()
    {
        var spans = new CollectingExporter<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource("OllamaQuota.*", "Microsoft.AspNetCore", "System.Net.Http")
            .AddProcessor(new SimpleActivityExportProcessor(spans))
            .Build();
        var (id, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 100, null));
        using var client = _proxy.ClientFor(key);

        var response = await client.PostAsync("/api/chat", Json("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var request = await WaitForAsync(() => spans.Exported.SingleOrDefault(s => s.OperationName == "proxy.request" && Equals(s.GetTagItem("oq.key_id"), id)));
        var trace = spans.Exported.Where(s => s.TraceId == request.TraceId).ToList();
        var children = trace.Where(s => s.ParentSpanId == request.SpanId).Select(s => s.OperationName).ToList();
        // In the order they end: the settle step runs before the response's last bytes are written, inside the forward.
        Assert.Equal(["authenticate", "reserve", "settle", "upstream"], children);
        Assert.Equal("llama3", request.GetTagItem("oq.model"));
        Assert.Equal("/api/chat", request.GetTagItem("oq.endpoint"));
        Assert.Equal(FakeOllama.PromptEvalCount, request.GetTagItem("oq.tokens.prompt"));
        Assert.Equal(FakeOllama.DefaultCompletionTokens, request.GetTagItem("oq.tokens.completion"));
        Assert.Equal("Completed", request.GetTagItem("oq.outcome"));
        Assert.DoesNotContain(trace.SelectMany(s => s.TagObjects), tag => tag.Value?.ToString()?.Contains(key, StringComparison.Ordinal) == true);

        var server = trace.Single(s => s.SpanId == request.ParentSpanId);
        Assert.Equal(ActivityKind.Server, server.Kind);
        var upstream = trace.Single(s => s.OperationName == "upstream");
        Assert.Contains(trace, s => s.Kind == ActivityKind.Client && s.ParentSpanId == upstream.SpanId);
    }

    [Fact]
    public async Task RefusedRequest_SpanNamesTheLimitAndRejectionMetricMoves()
    {
        var spans = new CollectingExporter<Activity>();
        var metrics = new CollectingExporter<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource("OllamaQuota.*", "Microsoft.AspNetCore").AddProcessor(new SimpleActivityExportProcessor(spans)).Build();
        using var reader = new BaseExportingMetricReader(metrics);
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter("OllamaQuota.*").AddReader(reader).Build();
        var model = $"telemetry-{Guid.NewGuid():N}";
        var (id, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);

        await client.PostAsync("/api/chat", Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":false}"""));
        var refused = await client.PostAsync("/api/chat", Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":false}"""));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // A request's span ends (and its metrics are recorded) just after its response is written.
        await WaitForAsync(() => spans.Exported.FirstOrDefault(s => s.OperationName == "proxy.request" && Equals(s.GetTagItem("oq.key_id"), id) && Equals(s.GetTagItem("oq.outcome"), "Completed")));
        var limited = await WaitForAsync(() => spans.Exported.FirstOrDefault(s => s.OperationName == "proxy.request" && Equals(s.GetTagItem("oq.key_id"), id) && Equals(s.GetTagItem("oq.outcome"), "rate_limited")));
        await _proxy.WaitForUsageAsync(1);
        meters.ForceFlush();
        Assert.Equal("daily_requests", limited.GetTagItem("oq.limit"));
        Assert.True(Sum(metrics, "oq.proxy.rejections", ("limit", "daily_requests")) >= 1);
        Assert.Equal(FakeOllama.DefaultCompletionTokens, Sum(metrics, "oq.proxy.tokens", ("model", model), ("direction", "completion")));
        Assert.True(Count(metrics, "oq.proxy.upstream.time_to_first_chunk") >= 1);
        Assert.True(Count(metrics, "oq.ledger.duration") >= 2);
        Assert.True(Count(metrics, "oq.usage.batch_size") >= 1);
        Assert.True(Count(metrics, "oq.usage.lag") >= 1);
    }

    [Fact]
    public async Task Health_OllamaDown_IsDegradedNotUnhealthy()
    {
        var healthy = await _proxy.Anonymous.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("Healthy", healthy.GetProperty("checks").GetProperty("ollama").GetProperty("status").GetString());

        await _proxy.Ollama.DisposeAsync();
        var response = await _proxy.Anonymous.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var degraded = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Degraded", degraded.GetProperty("status").GetString());
        Assert.Equal("Healthy", degraded.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_DatabaseGone_IsUnhealthy503WhileAliveStaysUp()
    {
        await using var proxy = await ProxyHost.StartAsync(DatabaseKind.PostgreSql);
        var database = new NpgsqlConnectionStringBuilder(OllamaQuota.Core.Data.DatabaseUrl.Parse(proxy.DatabaseUrl).ConnectionString).Database!;
        var server = await PostgresServer.GetAsync();
        await using (var connection = new NpgsqlConnection(server.AdminConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        var health = await proxy.Anonymous.GetAsync("/health");
        var alive = await proxy.Anonymous.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static long Sum(CollectingExporter<Metric> exporter, string name, params (string Key, string Value)[] tags)
    {
        long total = 0;
        foreach (var metric in exporter.Exported.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                if (Matches(point, tags))
                {
                    total += point.GetSumLong();
                }
            }
        }

        return total;
    }

    private static long Count(CollectingExporter<Metric> exporter, string name)
    {
        long total = 0;
        foreach (var metric in exporter.Exported.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                total += point.GetHistogramCount();
            }
        }

        return total;
    }

    private static bool Matches(in MetricPoint point, (string Key, string Value)[] wanted)
    {
        var found = 0;
        foreach (var tag in point.Tags)
        {
            if (wanted.Any(w => w.Key == tag.Key && Equals(w.Value, tag.Value)))
            {
                found++;
            }
        }

        return found == wanted.Length;
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> find)
        where T : class
    {
        for (var i = 0; i < 100; i++)
        {
            if (find() is { } found)
            {
                return found;
            }

            await Task.Delay(20);
        }

        throw new Xunit.Sdk.XunitException("the expected telemetry was not exported within 2 s");
    }
}
