using System.Diagnostics.Metrics;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Metrics of the usage writers: how big their batches are, how long events wait to be stored, how many the database
/// refused for good (dead letters: worth an alert), and (distributed mode) how many entries wait in the Redis stream.
/// </summary>
public sealed class UsageTelemetry : IDisposable
{
    public const string Name = "OllamaQuota.Usage";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _deadLetters;
    private long _streamBacklog = -1;

    public UsageTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _batchSize = _meter.CreateHistogram<int>("oq.usage.batch_size", "{event}", "Usage events per database write");
        _lag = _meter.CreateHistogram<double>("oq.usage.lag", "s", "From a request's end to its usage event being stored");
        _deadLetters = _meter.CreateCounter<long>(
            "oq.usage.dead_letters", "{event}", "Usage events the database refused for good, set aside in usage_dead_letters");
        _meter.CreateObservableGauge("oq.usage.stream_backlog", ObserveBacklog, "{entry}", "Usage entries in the Redis stream not yet stored");
    }

    /// <summary>The stream's length as last read by a writer.</summary>
    public void SetStreamBacklog(long entries) => Interlocked.Exchange(ref _streamBacklog, entries);

    public void RecordDeadLetter() => _deadLetters.Add(1);

    /// <summary>Records a batch just stored; the lag is measured from each event's own timestamp.</summary>
    public void RecordBatch(IReadOnlyList<UsageEvent> batch, DateTime storedAtUtc)
    {
        _batchSize.Record(batch.Count);
        foreach (var usage in batch)
        {
            _lag.Record(Math.Max(0, (storedAtUtc - usage.CreatedAt).TotalSeconds));
        }
    }

    /// <summary>Nothing is reported until a stream writer has read the length (embedded mode has no stream).</summary>
    private IEnumerable<Measurement<long>> ObserveBacklog()
    {
        var backlog = Interlocked.Read(ref _streamBacklog);
        return backlog < 0 ? [] : [new Measurement<long>(backlog)];
    }

    public void Dispose() => _meter.Dispose();
}
