using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OllamaQuota.Tests.Telemetry;

public sealed class OpenTelemetryDefaultsTests
{
    [Fact]
    public async Task AddServiceDefaults_NoOtlpEndpoint_AddsNoTelemetryProvider()
    {
        await using var app = Build("--OTEL_EXPORTER_OTLP_ENDPOINT=");

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
        Assert.DoesNotContain(app.Services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
    }

    [Fact]
    public async Task AddServiceDefaults_NoOtlpEndpoint_TurnsAspireIntegrationTracingOffUnlessConfigured()
    {
        await using var app = Build("--OTEL_EXPORTER_OTLP_ENDPOINT=", "--Aspire:StackExchange:Redis:DisableTracing=false");

        Assert.Equal("false", app.Configuration["Aspire:StackExchange:Redis:DisableTracing"]);
        Assert.Equal("true", app.Configuration["Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableTracing"]);
        Assert.Equal("true", app.Configuration["Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableMetrics"]);
    }

    private static WebApplication Build(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        return builder.Build();
    }
}
