using OllamaQuota.Proxy.Metering;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>How the forwarder watches a metered response.</summary>
/// <param name="Meter">Counts what streams past.</param>
/// <param name="DropUsageChunk">Removes the usage-only SSE chunk the proxy asked for on the client's behalf.</param>
/// <param name="BeforeLastBytes">
/// Called with Ollama's status once its answer is whole (see <see cref="MeteringResponseStream"/>), before the bytes that
/// complete it go to the client; not cancellable, as what it settles is settled whether or not the client stays.
/// </param>
public sealed record ResponseMetering(ResponseMeter Meter, bool DropUsageChunk, Func<int, Task> BeforeLastBytes);
