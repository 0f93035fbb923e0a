using System.Collections.Concurrent;
using OpenTelemetry;

namespace OllamaQuota.Tests.Telemetry;

/// <summary>The in-test exporter: keeps what the SDK exports (spans or metrics) in memory.</summary>
public sealed class CollectingExporter<T> : BaseExporter<T>
    where T : class
{
    public ConcurrentQueue<T> Exported { get; } = new();

    public override ExportResult Export(in Batch<T> batch)
    {
        foreach (var item in batch)
        {
            Exported.Enqueue(item);
        }

        return ExportResult.Success;
    }
}
