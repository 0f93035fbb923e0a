using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// Where a host finds Redis: Aspire's <c>ConnectionStrings__redis</c>, or <c>REDIS_URL</c>. Neither set means embedded
/// mode. Both go through <c>Aspire.StackExchange.Redis</c>, which registers the shared
/// <see cref="IConnectionMultiplexer"/> and its tracing; StackExchange.Redis reconnects, resubscribes and reloads
/// scripts on its own.
/// </summary>
public static class RedisConfiguration
{
    public const string Variable = "REDIS_URL";
    public const string ConnectionName = "redis";
    public const string AspireVariable = "ConnectionStrings__redis";

    /// <summary>The name of the check in <c>/health</c>.</summary>
    public const string HealthCheckName = "redis";

    /// <summary>What the first command waits for a reply, or for a lost connection to come back (QUOTA_FAIL_MODE=closed).</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(2);

    public static bool IsConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionName))
               || !string.IsNullOrWhiteSpace(configuration[Variable]);
    }

    /// <summary>
    /// Registers the connection when Redis is configured and returns whether it is; safe to call from several features
    /// of one host. A malformed value throws here, at start, naming its variable.
    /// </summary>
    public static bool AddRedis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        if (!IsConfigured(configuration))
        {
            return false;
        }

        if (builder.Services.Any(s => s.ServiceType == typeof(IConnectionMultiplexer)))
        {
            return true;
        }

        // Aspire's connection string wins over REDIS_URL, as for the database. A REDIS_URL in the library's own form is
        // handed over as the connection string; a redis:// URL is set on the options, so no password needs escaping.
        var aspire = configuration.GetConnectionString(ConnectionName);
        var url = configuration[Variable];
        var fromUrl = string.IsNullOrWhiteSpace(aspire) ? RedisUrl.Parse(url!, Variable) : null;
        if (fromUrl is null)
        {
            RedisUrl.Parse(aspire!, AspireVariable);
        }

        var urlIsConnectionString = fromUrl is not null && !url!.Contains("://", StringComparison.Ordinal);
        builder.AddRedisClient(
            ConnectionName,
            settings =>
            {
                // Our own check below, under the name /health has always used.
                settings.DisableHealthChecks = true;
                if (urlIsConnectionString)
                {
                    settings.ConnectionString ??= url!.Trim();
                }
            },
            options =>
            {
                if (fromUrl is not null && !urlIsConnectionString && options.EndPoints.Count == 0)
                {
                    foreach (var endpoint in fromUrl.EndPoints)
                    {
                        options.EndPoints.Add(endpoint);
                    }

                    options.User = fromUrl.User;
                    options.Password = fromUrl.Password;
                    options.Ssl = fromUrl.Ssl;
                    options.DefaultDatabase = fromUrl.DefaultDatabase;
                }

                // Cloud providers the library recognises (Azure) keep their own defaults; ours replace the generic ones.
                if (options.Defaults.GetType().Assembly != typeof(DefaultOptionsProvider).Assembly
                    || options.Defaults.GetType() == typeof(DefaultOptionsProvider))
                {
                    options.Defaults = new OllamaQuotaDefaults();
                }
            });
        builder.Services.AddHealthChecks().AddRedis(provider => provider.GetRequiredService<IConnectionMultiplexer>(), HealthCheckName);
        return true;
    }

    /// <summary>Defaults a connection string can still override (e.g. <c>syncTimeout=5000</c>).</summary>
    private sealed class OllamaQuotaDefaults : DefaultOptionsProvider
    {
        // A service must start, and in QUOTA_FAIL_MODE=open serve, while Redis is down; the library keeps reconnecting.
        public override bool AbortOnConnectFail => false;

        // The library's 5 s would hold every request that long when Redis goes away; the async timeout follows this.
        public override TimeSpan SyncTimeout => DefaultCommandTimeout;

        // Operators can tell our connections apart in CLIENT LIST.
        protected override string GetDefaultClientName() => "ollamaquota";
    }
}
