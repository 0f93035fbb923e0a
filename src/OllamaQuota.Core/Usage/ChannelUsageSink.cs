using System.Threading.Channels;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>Embedded mode: events wait in memory for <see cref="UsageBatchWriter"/>, which drains them at shutdown.</summary>
public sealed class ChannelUsageSink : IUsageSink
{
    private readonly Channel<UsageEvent> _channel = Channel.CreateUnbounded<UsageEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    public ChannelReader<UsageEvent> Reader => _channel.Reader;

    public ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken) =>
        _channel.Writer.TryWrite(usage)
            ? ValueTask.CompletedTask
            : throw new InvalidOperationException("The usage writer has stopped; the proxy is shutting down.");

    /// <summary>No more events: lets the writer finish its last batch.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
