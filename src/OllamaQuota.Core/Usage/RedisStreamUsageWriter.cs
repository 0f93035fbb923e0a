using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Redis;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// One per proxy instance: a consumer in the stream's group that moves usage events from Redis into the database.
/// Each batch is read (<c>XREADGROUP</c>), stored (<see cref="UsageStore.WriteBatchAsync"/>, idempotent by event id),
/// and only then acknowledged and deleted, so an entry leaves the stream only once it is in the database. Entries a
/// dead instance read but never acknowledged are claimed after <see cref="RedisStreamUsageOptions.ClaimIdle"/>
/// (<c>XAUTOCLAIM</c>). While the database is down, entries wait in the stream and the batch in hand is retried.
/// </summary>
public sealed partial class RedisStreamUsageWriter(
    RedisConnectionOptions redisOptions,
    UsageStore store,
    UsageTelemetry telemetry,
    IOptions<RedisStreamUsageOptions> options,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    ILogger<RedisStreamUsageWriter> logger) : BackgroundService
{
    // Acknowledging and deleting together: an acknowledged entry is never left behind in the stream, nor an
    // unacknowledged one deleted.
    private static readonly RedisScript AcknowledgeAndDelete = new("""
        redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
        return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
        """, "usage-ack");

    private readonly RedisStreamUsageOptions _settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A connection of its own: XREADGROUP … BLOCK holds its connection for up to a second, and must not hold up
        // the quota checks on the shared one.
        var connectionOptions = redisOptions.Clone();
        connectionOptions.ClientName = redisOptions.ClientName is null ? null : redisOptions.ClientName + "-usage";
        await using var redis = new RedisConnection(connectionOptions, loggerFactory.CreateLogger<RedisConnection>());
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
                    await CreateGroupAsync(redis, stoppingToken);
                    groupReady = true;
                }

                // 2. Entries of writers presumed dead.
                if (lastClaim is null || time.GetElapsedTime(lastClaim.Value) >= _settings.ClaimIdle / 2)
                {
                    lastClaim = time.GetTimestamp();
                    await ClaimAbandonedAsync(redis, stoppingToken);
                }

                // 3. New entries: store, then acknowledge.
                await StoreAsync(redis, await ReadNewAsync(redis, stoppingToken), stoppingToken);

                // 4. What is still waiting (the backlog metric): entries not yet stored by any writer.
                telemetry.SetStreamBacklog((await redis.ExecuteAsync("XLEN", [_settings.StreamKey], stoppingToken)).AsInt64());
                if (failing)
                {
                    failing = false;
                    LogRedisRecovered();
                }
            }
            catch (RedisServerException e) when (e.ErrorCode == "NOGROUP")
            {
                groupReady = false;
                LogGroupMissing();
            }
            catch (RedisException e)
            {
                if (!failing)
                {
                    failing = true;
                    LogRedisFailed(e);
                }

                await PauseAsync(stoppingToken);
            }
        }
    }

    private async Task CreateGroupAsync(RedisConnection redis, CancellationToken cancellationToken)
    {
        try
        {
            // From the start of the stream ("0"), not its end: entries appended before any writer existed, or since a
            // flush re-created the stream, are delivered too.
            await redis.ExecuteAsync("XGROUP", ["CREATE", _settings.StreamKey, _settings.Group, "0", "MKSTREAM"], cancellationToken);
        }
        catch (RedisServerException e) when (e.ErrorCode == "BUSYGROUP")
        {
            // Another instance created it first.
        }
    }

    private async Task<RespValue> ReadNewAsync(RedisConnection redis, CancellationToken stoppingToken)
    {
        // Not cancelled at shutdown once connected: entries the server delivers to an abandoned read would sit
        // unacknowledged until claimed. The read ends by itself within Block, and the batch it returns is stored before
        // the writer stops. A read still waiting for a connection has nothing to lose, so that wait is cancelled.
        var reply = await redis.ExecuteAsync(
            "XREADGROUP",
            [
                "GROUP", _settings.Group, _settings.Consumer, "COUNT", _settings.BatchSize,
                "BLOCK", (long)_settings.Block.TotalMilliseconds, "STREAMS", _settings.StreamKey, ">",
            ],
            _settings.Block + redisOptions.CommandTimeout,
            redis.IsConnected ? CancellationToken.None : stoppingToken);

        // [[stream, [[id, [field, value…]]…]]], or null when nothing arrived within Block.
        return reply.IsNull ? RespValue.Null : reply[0][1];
    }

    private async Task ClaimAbandonedAsync(RedisConnection redis, CancellationToken cancellationToken)
    {
        var cursor = "0-0";
        do
        {
            var reply = await redis.ExecuteAsync(
                "XAUTOCLAIM",
                [
                    _settings.StreamKey, _settings.Group, _settings.Consumer, (long)_settings.ClaimIdle.TotalMilliseconds,
                    cursor, "COUNT", _settings.BatchSize,
                ],
                CancellationToken.None);
            cursor = reply[0].AsString() ?? "0-0";
            if (reply[1].Length > 0)
            {
                LogClaimed(reply[1].Length);
                await StoreAsync(redis, reply[1], cancellationToken);
            }
        }
        while (cursor != "0-0" && !cancellationToken.IsCancellationRequested);
    }

    /// <summary>Stores the entries' events and acknowledges them; leaves them pending if the database cannot be reached before shutdown.</summary>
    private async Task StoreAsync(RedisConnection redis, RespValue entries, CancellationToken stoppingToken)
    {
        var items = entries.AsArray();
        if (items.Length == 0)
        {
            return;
        }

        var events = new List<UsageEvent>(items.Length);
        var acknowledge = new RedisArgument[items.Length + 1];
        acknowledge[0] = _settings.Group;
        for (var i = 0; i < items.Length; i++)
        {
            var id = items[i][0].AsString()!;
            acknowledge[i + 1] = id;

            // Malformed entries cannot become valid by waiting; they are logged and acknowledged with the rest.
            if (RedisUsageEntry.Parse(items[i][1]) is { } usage)
            {
                events.Add(usage);
            }
            else
            {
                LogMalformed(id);
            }
        }

        if (!await WriteUntilStoredAsync(events, stoppingToken))
        {
            return;
        }

        await redis.EvaluateAsync(AcknowledgeAndDelete, [_settings.StreamKey], acknowledge, CancellationToken.None);
    }

    private async Task<bool> WriteUntilStoredAsync(List<UsageEvent> events, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Not cancelled at shutdown either: a batch in hand is finished, which is what a graceful stop owes.
                var inserted = await store.WriteBatchAsync(events, CancellationToken.None);
                telemetry.RecordBatch(events, time.GetUtcNow().UtcDateTime);
                LogBatchWritten(events.Count, inserted);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogBatchFailed(e, events.Count, attempt);
                if (!await PauseAsync(stoppingToken))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Waits the retry delay; false when the service is stopping.</summary>
    private async Task<bool> PauseAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(_settings.RetryDelay, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 3110, Level = LogLevel.Debug, Message = "Stored {Count} usage events from the Redis stream ({Inserted} new)")]
    private partial void LogBatchWritten(int count, int inserted);

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
}
