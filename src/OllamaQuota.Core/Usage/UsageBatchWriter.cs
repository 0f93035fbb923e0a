using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// The one background writer of embedded mode: takes events from <see cref="ChannelUsageSink"/> and writes them in
/// batches (full, or <see cref="UsageWriterOptions.FlushInterval"/> after the first event). Events the database
/// rejects for good become dead letters and the rest of the batch is stored; any other failed write is retried until it
/// succeeds. At shutdown every event already accepted is written before the process exits.
/// </summary>
public sealed partial class UsageBatchWriter(
    ChannelUsageSink sink,
    UsageStore store,
    UsageTelemetry telemetry,
    IOptions<UsageWriterOptions> options,
    TimeProvider time,
    ILogger<UsageBatchWriter> logger) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain instead of cancelling: the requests already served must reach the database.
        sink.Complete();
        if (ExecuteTask is { } running)
        {
            await running.WaitAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = sink.Reader;
        var batch = new List<UsageEvent>(options.Value.MaxBatchSize);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            var deadline = time.GetUtcNow() + options.Value.FlushInterval;
            while (batch.Count < options.Value.MaxBatchSize)
            {
                if (reader.TryRead(out var usage))
                {
                    batch.Add(usage);
                    continue;
                }

                var wait = deadline - time.GetUtcNow();
                if (wait <= TimeSpan.Zero || reader.Completion.IsCompleted)
                {
                    break;
                }

                using var timeout = new CancellationTokenSource(wait, time);
                try
                {
                    if (!await reader.WaitToReadAsync(timeout.Token))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    break;
                }
            }

            await WriteUntilStoredAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteUntilStoredAsync(List<UsageEvent> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var stored = await store.StoreAsync(batch, CancellationToken.None);
                telemetry.RecordBatch(batch, time.GetUtcNow().UtcDateTime);
                LogBatchWritten(batch.Count, stored.Inserted, stored.DeadLettered);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogBatchFailed(e, batch.Count, attempt);
                await Task.Delay(options.Value.RetryDelay, time);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Wrote a usage batch of {Count} events ({Inserted} new, {DeadLettered} dead-lettered)")]
    private partial void LogBatchWritten(int count, int inserted, int deadLettered);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Writing {Count} usage events failed (attempt {Attempt}); retrying")]
    private partial void LogBatchFailed(Exception exception, int count, int attempt);
}
