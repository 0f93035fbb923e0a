using System.Diagnostics.Metrics;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>Metrics of the usage writers: how big their batches are and how long events wait to be stored.</summary>
public sealed class UsageTelemetry : IDisposable
{
    public const string Name = "OllamaQuota.Usage";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _lag;

    public UsageTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _batchSize = _meter.CreateHistogram<int>("oq.usage.batch_size", "{event}", "Usage events per database write");
        _lag = _meter.CreateHistogram<double>("oq.usage.lag", "s", "From a request's end to its usage event being stored");
    }

    /// <summary>Records a batch just stored; the lag is measured from each event's own timestamp.</summary>
    public void RecordBatch(IReadOnlyList<UsageEvent> batch, DateTime storedAtUtc)
    {
        _batchSize.Record(batch.Count);
        foreach (var usage in batch)
        {
            _lag.Record(Math.Max(0, (storedAtUtc - usage.CreatedAt).TotalSeconds));
        }
    }

    public void Dispose() => _meter.Dispose();
}
