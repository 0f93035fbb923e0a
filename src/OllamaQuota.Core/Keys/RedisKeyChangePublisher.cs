using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Redis;
using StackExchange.Redis;

namespace OllamaQuota.Core.Keys;

/// <summary>
/// Distributed mode: tells every proxy instance of an admin change at once, on a Redis channel. Pub/sub is
/// fire-and-forget, so a lost notice (Redis down, a proxy reconnecting) is caught by the proxies' revision poll.
/// </summary>
public sealed partial class RedisKeyChangePublisher(IConnectionMultiplexer redis, ILogger<RedisKeyChangePublisher> logger)
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("oq:changes");

    public async Task PublishAsync(string change, CancellationToken cancellationToken)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await redis.GetSubscriber().PublishAsync(Channel, change);
        }
        catch (Exception e) when (RedisOutage.IsRedisFailure(e))
        {
            // The change is committed; failing the admin's request over a notice the poll will deliver would be wrong.
            LogPublishFailed(e, change);
        }
    }

    [LoggerMessage(EventId = 2200, Level = LogLevel.Warning,
        Message = "Publishing change '{Change}' on Redis failed; proxies will see it at their next revision poll")]
    private partial void LogPublishFailed(Exception exception, string change);
}

public static class RedisKeyChangePublisherExtensions
{
    /// <summary>Publishes admin changes on Redis when <c>REDIS_URL</c> (or Aspire's connection string) is set.</summary>
    public static IHostApplicationBuilder AddKeyChangePublishing(this IHostApplicationBuilder builder)
    {
        if (builder.AddRedis())
        {
            builder.Services.AddSingleton<RedisKeyChangePublisher>();
        }

        return builder;
    }
}
