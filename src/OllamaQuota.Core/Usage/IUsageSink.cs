using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>Where the proxy hands each request's usage event; never blocks the request for a database write.</summary>
public interface IUsageSink
{
    ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken);
}
