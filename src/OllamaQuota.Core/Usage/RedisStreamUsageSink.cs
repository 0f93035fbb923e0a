using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using StackExchange.Redis;

namespace OllamaQuota.Core.Usage;

/// <summary>
/// Distributed mode: each event is appended to the Redis stream (one <c>XADD</c>), where it survives this process
/// crashing until a <see cref="RedisStreamUsageWriter"/> of any instance has stored it. While Redis is unreachable,
/// events go to the embedded-mode channel and its batch writer instead, so none is dropped.
/// </summary>
public sealed partial class RedisStreamUsageSink(
    IConnectionMultiplexer redis,
    RedisOutage outage,
    ChannelUsageSink fallback,
    IOptions<RedisStreamUsageOptions> options,
    ILogger<RedisStreamUsageSink> logger) : IUsageSink
{
    public async ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (!outage.IsOngoing)
        {
            try
            {
                // No MAXLEN: trimming by length could drop entries no writer has stored yet; writers delete what they acknowledge.
                cancellationToken.ThrowIfCancellationRequested();
                await redis.GetDatabase().StreamAddAsync(options.Value.StreamKey, RedisUsageEntry.ToFields(usage));
                outage.ReportSuccess();
                return;
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                outage.ReportFailure(e);
                LogFallback(e, usage.Id);
            }
        }

        // If the XADD did land after all, the event is stored twice over and written once: inserts are idempotent by id.
        await fallback.RecordAsync(usage, cancellationToken);
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning,
        Message = "Appending usage event {EventId} to the Redis stream failed; it goes straight to the database instead")]
    private partial void LogFallback(Exception exception, Guid eventId);
}
