using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OllamaQuota.Proxy.Settings;

/// <summary>
/// Whether the configured Ollama answers. Reported as degraded, not unhealthy: the proxy itself is fine (keys,
/// quotas, the Admin's changes) and an orchestrator should not restart it because the GPU box is down.
/// </summary>
public sealed class OllamaHealthCheck(IHttpClientFactory clients, UpstreamSettings settings) : IHealthCheck
{
    public const string HttpClientName = "ollama-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var url = settings.Current.OllamaUrl;
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync($"{url}/api/version", cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy(url)
                : HealthCheckResult.Degraded($"{url} answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Degraded($"{url} is unreachable: {e.Message}");
        }
    }
}
