using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using StackExchange.Redis;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// One per proxy instance: a consumer in the stream's group that moves usage events from Redis into the database.
/// Each batch is read (<c>XREADGROUP</c>), stored (<see cref="UsageStore.StoreAsync"/>, idempotent by event id, rows
/// the database rejects for good set aside as dead letters), and only then acknowledged and deleted, so an entry
/// leaves the stream only once it is in the database. Entries a dead instance read but never acknowledged are claimed
/// after <see cref="RedisStreamUsageOptions.ClaimIdle"/> (<c>XAUTOCLAIM</c>), and the dead instance's consumer is then
/// removed from the group. While the database is down, entries wait in the stream and the batch in hand is retried.
/// </summary>
public sealed partial class RedisStreamUsageWriter(
    IConnectionMultiplexer redis,
    UsageStore store,
    UsageTelemetry telemetry,
    IOptions<RedisStreamUsageOptions> options,
    TimeProvider time,
    ILogger<RedisStreamUsageWriter> logger) : BackgroundService
{
    // Atomic, so a consumer that reads between the check and the removal cannot lose the entries it just got: removing a
    // consumer drops its pending entries, which would then never be claimed.
    private static readonly LuaScript RemoveDeadConsumers = LuaScript.Prepare("""
        local removed = 0
        for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', @stream, @group)) do
          local info = {}
          for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
          if info['name'] ~= @self and tonumber(info['pending']) == 0 and tonumber(info['idle']) > tonumber(@idle) then
            redis.call('XGROUP', 'DELCONSUMER', @stream, @group, info['name'])
            removed = removed + 1
          end
        end
        return removed
        """);

    private readonly RedisStreamUsageOptions _settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var database = redis.GetDatabase();
        var groupReady = false;
        var failing = false;
        long? lastClaim = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // 1. The group, once (and again if a flush removed it).
                if (!groupReady)
                {
                    await CreateGroupAsync(database);
                    groupReady = true;
                }

                // 2. Entries of writers presumed dead, then those writers themselves.
                if (lastClaim is null || time.GetElapsedTime(lastClaim.Value) >= _settings.ClaimIdle / 2)
                {
                    lastClaim = time.GetTimestamp();
                    await ClaimAbandonedAsync(database, stoppingToken);
                    await RemoveDeadConsumersAsync(database);
                }

                // 3. New entries: store, then acknowledge. The library has no blocking read (it would stall every other
                // caller of the shared connection), so an empty read waits a moment before the next.
                var entries = await database.StreamReadGroupAsync(
                    _settings.StreamKey, _settings.Group, _settings.Consumer, StreamPosition.NewMessages, _settings.BatchSize);
                await StoreAsync(database, entries, stoppingToken);

                // 4. What is still waiting (the backlog metric): entries not yet stored by any writer.
                telemetry.SetStreamBacklog(await database.StreamLengthAsync(_settings.StreamKey));
                if (failing)
                {
                    failing = false;
                    LogRedisRecovered();
                }

                if (entries.Length == 0)
                {
                    await PauseAsync(_settings.IdlePoll, stoppingToken);
                }
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                groupReady = false;
                LogGroupMissing();
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                if (!failing)
                {
                    failing = true;
                    LogRedisFailed(e);
                }

                await PauseAsync(_settings.RetryDelay, stoppingToken);
            }
        }
    }

    private async Task CreateGroupAsync(IDatabase database)
    {
        try
        {
            // From the start of the stream ("0"), not its end: entries appended before any writer existed, or since a
            // flush re-created the stream, are delivered too.
            await database.StreamCreateConsumerGroupAsync(_settings.StreamKey, _settings.Group, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another instance created it first.
        }
    }

    private async Task ClaimAbandonedAsync(IDatabase database, CancellationToken stoppingToken)
    {
        RedisValue cursor = "0-0";
        do
        {
            var claimed = await database.StreamAutoClaimAsync(
                _settings.StreamKey, _settings.Group, _settings.Consumer, (long)_settings.ClaimIdle.TotalMilliseconds, cursor,
                _settings.BatchSize);
            cursor = claimed.NextStartId;
            if (claimed.ClaimedEntries.Length > 0)
            {
                LogClaimed(claimed.ClaimedEntries.Length);
                await StoreAsync(database, claimed.ClaimedEntries, stoppingToken);
            }
        }
        while (cursor != "0-0" && !stoppingToken.IsCancellationRequested);
    }

    /// <summary>Consumers with nothing pending, silent for longer than the claim idle time, belong to instances that are gone.</summary>
    private async Task RemoveDeadConsumersAsync(IDatabase database)
    {
        var removed = (long)await RemoveDeadConsumers.EvaluateAsync(database, new
        {
            stream = (RedisKey)_settings.StreamKey,
            group = _settings.Group,
            self = _settings.Consumer,
            idle = (long)_settings.ClaimIdle.TotalMilliseconds,
        });
        if (removed > 0)
        {
            LogConsumersRemoved(removed);
        }
    }

    /// <summary>Stores the entries' events and acknowledges them; leaves them pending if the database cannot be reached before shutdown.</summary>
    private async Task StoreAsync(IDatabase database, StreamEntry[] entries, CancellationToken stoppingToken)
    {
        if (entries.Length == 0)
        {
            return;
        }

        var events = new List<UsageEvent>(entries.Length);
        var ids = new RedisValue[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            ids[i] = entries[i].Id;

            // Malformed entries cannot become valid by waiting; they are logged and acknowledged with the rest.
            if (RedisUsageEntry.Parse(entries[i].Values) is { } usage)
            {
                events.Add(usage);
            }
            else
            {
                LogMalformed(entries[i].Id!);
            }
        }

        if (!await WriteUntilStoredAsync(events, stoppingToken))
        {
            return;
        }

        // Acknowledged and deleted together: an acknowledged entry is never left behind in the stream, nor an
        // unacknowledged one deleted.
        var transaction = database.CreateTransaction();
        var acknowledged = transaction.StreamAcknowledgeAsync(_settings.StreamKey, _settings.Group, ids);
        var deleted = transaction.StreamDeleteAsync(_settings.StreamKey, ids);
        await transaction.ExecuteAsync();
        await Task.WhenAll(acknowledged, deleted);
    }

    private async Task<bool> WriteUntilStoredAsync(List<UsageEvent> events, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Not cancelled at shutdown either: a batch in hand is finished, which is what a graceful stop owes.
                var stored = await store.StoreAsync(events, CancellationToken.None);
                telemetry.RecordBatch(events, time.GetUtcNow().UtcDateTime);
                LogBatchWritten(events.Count, stored.Inserted, stored.DeadLettered);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogBatchFailed(e, events.Count, attempt);
                if (!await PauseAsync(_settings.RetryDelay, stoppingToken))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Waits <paramref name="delay"/>; false when the service is stopping.</summary>
    private async Task<bool> PauseAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 3110, Level = LogLevel.Debug,
        Message = "Stored {Count} usage events from the Redis stream ({Inserted} new, {DeadLettered} dead-lettered)")]
    private partial void LogBatchWritten(int count, int inserted, int deadLettered);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Error,
        Message = "Storing {Count} usage events from the Redis stream failed (attempt {Attempt}); they stay in the stream and are retried")]
    private partial void LogBatchFailed(Exception exception, int count, int attempt);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information, Message = "Claimed {Count} usage events left unacknowledged by a writer presumed dead")]
    private partial void LogClaimed(int count);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Error, Message = "Usage stream entry {EntryId} is malformed and was dropped")]
    private partial void LogMalformed(string entryId);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Warning, Message = "Reading the usage stream from Redis failed; retrying until Redis answers")]
    private partial void LogRedisFailed(Exception exception);

    [LoggerMessage(EventId = 3115, Level = LogLevel.Information, Message = "Reading the usage stream from Redis works again")]
    private partial void LogRedisRecovered();

    [LoggerMessage(EventId = 3116, Level = LogLevel.Warning, Message = "The usage stream's consumer group is gone (was Redis flushed?); creating it again")]
    private partial void LogGroupMissing();

    [LoggerMessage(EventId = 3117, Level = LogLevel.Information,
        Message = "Removed {Count} consumers of writers presumed dead from the usage stream's group")]
    private partial void LogConsumersRemoved(long count);
}
