using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What both services share: configuration from <c>.env</c>, OpenTelemetry, problem details, health endpoints.
/// Shaped like Aspire's ServiceDefaults so the real template can replace it.
/// </summary>
public static class Extensions
{
    private const string AliveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.AddDotEnvFile(Directory.GetCurrentDirectory());
        builder.AddTelemetry();
        builder.Services.AddProblemDetails();

        // Every SQL command and every request at Information would drown the logs and, at proxy rates, cost more
        // than the request itself (bench/RESULTS.md); warnings and our own logs stay. Configuration
        // (Logging__LogLevel__Microsoft.AspNetCore=Information) can still turn them back on.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [AliveTag]);
        return builder;
    }

    /// <summary><c>/alive</c>: the process answers. <c>/health</c>: every registered check, as JSON.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseHealthProbesUntraced();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(AliveTag),
            ResponseWriter = HealthResponse.WriteAsync,
        });
        return app;
    }
}
