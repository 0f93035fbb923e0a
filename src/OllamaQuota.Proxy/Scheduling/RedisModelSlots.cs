using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Quotas;
using StackExchange.Redis;

namespace OllamaQuota.Proxy.Scheduling;

/// <summary>
/// Distributed mode's model slots, shared by every instance through Redis (<see cref="RedisSlotScripts"/>). A free slot
/// costs one round trip to take and one, off the response path, to give back. A request that must wait is queued in
/// Redis and woken by the grant notice the releasing instance publishes, checking Redis itself every
/// <see cref="ModelSlotOptions.PollInterval"/> in case a notice was lost or a dead instance's lease ran out. Slots held
/// here are renewed by <see cref="RenewAsync"/>, so a killed instance's slots come back once their lease ends.
/// While Redis is unreachable each instance schedules its own requests (<see cref="InProcessModelSlots"/>): the model's
/// slots per instance instead of in all, rather than no service.
/// </summary>
public sealed partial class RedisModelSlots(
    IConnectionMultiplexer redis,
    InProcessModelSlots fallback,
    RedisOutage outage,
    IOptions<ModelSlotOptions> options,
    TimeProvider time,
    ILogger<RedisModelSlots> logger) : IModelSlots
{
    /// <summary>Where a grant's waiter id is published.</summary>
    public static readonly RedisChannel GrantChannel = RedisChannel.Literal("oq:slots:granted");

    // Waiters of this instance by id, completed by a grant notice; and the slots held here, to renew.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Model, int Slots)> _held = new(StringComparer.Ordinal);
    private int _subscribed;

    /// <summary>Slots this instance holds in Redis.</summary>
    public int HeldCount => _held.Count;

    public static string Prefix(string model) => $"oq:{{s:{model}}}";

    public async ValueTask<ModelSlot?> AcquireAsync(string model, Guid keyId, int slots, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (outage.IsOngoing)
        {
            return await fallback.AcquireAsync(model, keyId, slots, timeout, cancellationToken);
        }

        await SubscribeOnceAsync();
        var started = time.GetTimestamp();
        var id = Guid.NewGuid().ToString("N");
        var granted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = granted;
        try
        {
            long status;
            try
            {
                status = await RunAsync(RedisSlotScripts.Acquire, model, id, slots, keyId);
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                if (outage.ReportFailure(e))
                {
                    LogFallback(e);
                }

                var left = timeout - time.GetElapsedTime(started);
                return await fallback.AcquireAsync(model, keyId, slots, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
            }

            while (status != RedisSlotScripts.Granted)
            {
                var remaining = timeout - time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    // Given up: out of the queue, or the slot granted in this instant given back.
                    await LeaveAsync(id, model, slots);
                    return null;
                }

                try
                {
                    await granted.Task.WaitAsync(remaining < options.Value.PollInterval ? remaining : options.Value.PollInterval, time, cancellationToken);
                    break;
                }
                catch (TimeoutException)
                {
                    status = await PollAsync(model, id, slots, keyId);
                }
            }

            _held[id] = (model, slots);
            return new ModelSlot(() => Release(id));
        }
        catch (OperationCanceledException)
        {
            // The client left: out of the queue at once (or the slot it was granted meanwhile given back).
            await LeaveAsync(id, model, slots);
            throw;
        }
        finally
        {
            _waiting.TryRemove(id, out _);
        }
    }

    /// <summary>Extends the lease of every slot this instance holds; run every third of the lease.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var lease = (long)options.Value.Lease.TotalMilliseconds;
        await Task.WhenAll(_held.Select(async held =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var renewed = (long)await RedisSlotScripts.Renew.EvaluateAsync(database, new
            {
                holders = (RedisKey)(Prefix(held.Value.Model) + ":holders"),
                id = held.Key,
                lease,
            });
            if (renewed == 0 && _held.ContainsKey(held.Key))
            {
                LogLeaseLost(held.Value.Model);
            }
        }));
    }

    private void Release(string id)
    {
        if (_held.TryRemove(id, out var held))
        {
            _ = LeaveAsync(id, held.Model, held.Slots);
        }
    }

    /// <summary>Never throws: a slot or a place Redis did not take back is dropped when its lease runs out.</summary>
    private async Task LeaveAsync(string id, string model, int slots)
    {
        try
        {
            await RunAsync(RedisSlotScripts.Leave, model, id, slots, Guid.Empty);
        }
        catch (Exception e) when (RedisOutage.IsRedisFailure(e))
        {
            LogLeaveFailed(e, model);
        }
    }

    /// <summary>A poll Redis cannot answer leaves the request waiting: the next notice or poll may get through.</summary>
    private async Task<long> PollAsync(string model, string id, int slots, Guid keyId)
    {
        try
        {
            var status = await RunAsync(RedisSlotScripts.Poll, model, id, slots, keyId);

            // Its place lapsed (polls failed for a whole lease): it queues again, in its key's next round.
            return status == RedisSlotScripts.Lost ? await RunAsync(RedisSlotScripts.Acquire, model, id, slots, keyId) : status;
        }
        catch (Exception e) when (RedisOutage.IsRedisFailure(e))
        {
            LogPollFailed(e, model);
            return RedisSlotScripts.Queued;
        }
    }

    private async Task<long> RunAsync(LuaScript script, string model, string id, int slots, Guid keyId)
    {
        var prefix = Prefix(model);
        return (long)await script.EvaluateAsync(redis.GetDatabase(), new
        {
            holders = (RedisKey)(prefix + ":holders"),
            queue = (RedisKey)(prefix + ":queue"),
            waiters = (RedisKey)(prefix + ":waiters"),
            expiries = (RedisKey)(prefix + ":waiter-expiries"),
            state = (RedisKey)(prefix + ":state"),
            id,
            keyId = keyId.ToString("N"),
            limit = slots,
            lease = (long)options.Value.Lease.TotalMilliseconds,
            channel = GrantChannel.ToString(),
        });
    }

    private async Task SubscribeOnceAsync()
    {
        if (Volatile.Read(ref _subscribed) == 1 || Interlocked.Exchange(ref _subscribed, 1) == 1)
        {
            return;
        }

        try
        {
            await redis.GetSubscriber().SubscribeAsync(GrantChannel, (_, waiter) =>
            {
                if (_waiting.TryGetValue(waiter.ToString(), out var granted))
                {
                    granted.TrySetResult();
                }
            });
        }
        catch (Exception e) when (RedisOutage.IsRedisFailure(e))
        {
            // Waiters poll meanwhile; the next request tries again.
            Volatile.Write(ref _subscribed, 0);
            LogSubscribeFailed(e);
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "Redis is unreachable for the model slots; each instance schedules its own requests until it is back")]
    private partial void LogFallback(Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Giving back a slot of model {Model} in Redis failed; its lease will free it")]
    private partial void LogLeaveFailed(Exception exception, string model);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Polling Redis for a slot of model {Model} failed; still waiting")]
    private partial void LogPollFailed(Exception exception, string model);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning,
        Message = "A slot of model {Model} outlived its lease in Redis (renewals failed) and was given to another request")]
    private partial void LogLeaseLost(string model);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Could not subscribe to model slot grants on Redis; waiting requests poll")]
    private partial void LogSubscribeFailed(Exception exception);
}
