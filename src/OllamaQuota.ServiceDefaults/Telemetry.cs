using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry on the base SDK and the OTLP exporter (the hosting and instrumentation packages cannot be
/// restored here). ASP.NET Core, HttpClient and Npgsql emit activities and metrics natively, so listening to their
/// sources is the whole instrumentation. Nothing is exported unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, as
/// Aspire does; the exporter reads the other <c>OTEL_*</c> variables itself.
/// </summary>
public static class Telemetry
{
    /// <summary>Every ActivitySource and Meter of ours starts with this.</summary>
    public const string OurPrefix = "OllamaQuota.";

    public static readonly string[] TraceSources =
    [
        "Microsoft.AspNetCore", "System.Net.Http", "Npgsql", OurPrefix + "*",
    ];

    public static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics", "System.Net.Http", "System.Runtime", "Npgsql", OurPrefix + "*",
    ];

    private const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static TBuilder AddTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[EndpointVariable]))
        {
            return builder;
        }

        // .NET 10 leaves the HTTP semantic-convention attributes off server spans unless this is switched back; only
        // when exporting, as the attributes cost every request something.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : builder.Environment.ApplicationName;
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(resource);
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddOtlpExporter();
        });

        // Built by the container (so disposed, and flushed, at shutdown) and started with the host.
        builder.Services.AddSingleton(_ => Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(TraceSources)
            .AddOtlpExporter()
            .Build());
        builder.Services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(Meters)
            .AddOtlpExporter()
            .Build());
        builder.Services.AddHostedService<TelemetryStarter>();
        return builder;
    }

    /// <summary>Health probes would be most of the traces; they are marked not recorded, so exporters skip them.</summary>
    public static IApplicationBuilder UseHealthProbesUntraced(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (Activity.Current is { } activity && IsHealthProbe(context.Request.Path))
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }

        return next(context);
    });

    private static bool IsHealthProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/alive");

    private sealed class TelemetryStarter(TracerProvider tracing, MeterProvider metrics) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            // Resolving the providers is what starts them listening.
            GC.KeepAlive(tracing);
            GC.KeepAlive(metrics);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
