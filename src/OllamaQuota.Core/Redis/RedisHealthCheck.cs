using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OllamaQuota.Core.Redis;

/// <summary>Reports Redis healthy when a PING round trip succeeds on the shared connection.</summary>
public sealed class RedisHealthCheck(RedisConnection connection) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await connection.PingAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(
                $"PING answered in {latency.TotalMilliseconds:0.0} ms",
                new Dictionary<string, object> { ["latency_ms"] = latency.TotalMilliseconds });
        }
        catch (RedisException ex)
        {
            return new HealthCheckResult(context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy, $"Redis PING failed: {ex.Message}", ex);
        }
    }
}
