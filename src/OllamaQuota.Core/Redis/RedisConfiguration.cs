using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace OllamaQuota.Core.Redis;

/// <summary>Where a host finds Redis: <c>REDIS_URL</c>, or Aspire's <c>ConnectionStrings__redis</c>. Neither set means embedded mode.</summary>
public static class RedisConfiguration
{
    public const string Variable = "REDIS_URL";
    public const string AspireConnectionName = "redis";

    /// <summary>
    /// The parsed options, or null when Redis is not configured. Aspire's connection string wins over <c>REDIS_URL</c>,
    /// as for the database. A malformed value throws here, at start, naming its variable.
    /// </summary>
    public static RedisConnectionOptions? FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var aspire = configuration.GetSection("ConnectionStrings")[AspireConnectionName];
        var options = !string.IsNullOrWhiteSpace(aspire) ? RedisConnectionOptions.Parse(aspire, $"ConnectionStrings__{AspireConnectionName}")
            : configuration[Variable] is { } url && !string.IsNullOrWhiteSpace(url) ? RedisConnectionOptions.Parse(url, Variable)
            : null;
        if (options is not null)
        {
            // A service must start, and in QUOTA_FAIL_MODE=open serve, while Redis is down; the connection keeps retrying.
            options.AbortOnConnectFail = false;
        }

        return options;
    }

    /// <summary>
    /// Registers the options, the shared multiplexed <see cref="RedisConnection"/> (connecting on first use) and its
    /// health check. Safe to call from several features of one host.
    /// </summary>
    public static IServiceCollection AddRedisConnection(this IServiceCollection services, RedisConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (services.Any(s => s.ServiceType == typeof(RedisConnection)))
        {
            return services;
        }

        services.TryAddSingleton(options);
        services.AddSingleton(provider => new RedisConnection(options, provider.GetService<ILogger<RedisConnection>>()));
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return services;
    }
}
