using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// What this instance knows about Redis being unreachable, shared by the ledger and the usage sink. Once a call has
/// failed on a lost connection, later calls skip Redis until the connection is back (it reconnects on its own),
/// instead of each request waiting out the command timeout.
/// </summary>
public sealed partial class RedisOutage(IConnectionMultiplexer redis, ILogger<RedisOutage> logger)
{
    private int _down;

    /// <summary>True while a failure has been seen and the connection has not been re-established since.</summary>
    public bool IsOngoing => Volatile.Read(ref _down) == 1 && !redis.IsConnected;

    /// <summary>Records a failed call; returns true when it starts an outage (the moment to log loudly).</summary>
    public bool ReportFailure(Exception exception)
    {
        if (Interlocked.Exchange(ref _down, 1) != 0)
        {
            return false;
        }

        LogOutageStarted(exception);
        return true;
    }

    /// <summary>What counts as Redis failing: the library's errors and its timeouts (which are not <see cref="RedisException"/>s).</summary>
    public static bool IsRedisFailure(Exception exception) => exception is RedisException or RedisTimeoutException;

    public void ReportSuccess()
    {
        if (Volatile.Read(ref _down) == 1 && Interlocked.Exchange(ref _down, 0) == 1)
        {
            LogOutageEnded();
        }
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Error, Message = "Redis is unreachable: quota counters and the usage stream are unavailable")]
    private partial void LogOutageStarted(Exception exception);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Redis is reachable again: quota counters and the usage stream are back in Redis")]
    private partial void LogOutageEnded();
}
