using Microsoft.Extensions.DependencyInjection.Extensions;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Redis;
using OllamaQuota.Core.Usage;
using OllamaQuota.Proxy.Scheduling;

namespace OllamaQuota.Proxy;

/// <summary>
/// Distributed mode, chosen by setting <c>REDIS_URL</c> (or Aspire's <c>ConnectionStrings__redis</c>): quota counters
/// in Redis shared by every instance, usage through a Redis stream into the database, model slots leased in Redis, admin changes by pub/sub (the
/// <see cref="Settings.ChangeWatcher"/> subscribes when a Redis connection is registered). The embedded
/// registrations stay underneath: the channel sink and its writer carry usage while Redis is unreachable. Under
/// QUOTA_FAIL_MODE=closed the ledger refuses with <see cref="RedisLedgerUnavailableException"/>, which the pipeline's
/// reserve step answers with 503.
/// </summary>
public static class DistributedMode
{
    public static WebApplicationBuilder AddDistributedModeIfConfigured(this WebApplicationBuilder builder)
    {
        if (!builder.AddRedis())
        {
            return builder;
        }

        var services = builder.Services;

        // Read once now so that a bad value stops the start with a message naming its variable.
        RedisLedgerOptions.ParseFailMode(builder.Configuration[RedisLedgerOptions.FailModeVariable]);
        RedisLedgerOptions.ParseLease(builder.Configuration[RedisLedgerOptions.LeaseVariable]);
        services.AddOptions<RedisLedgerOptions>().Configure<IConfiguration>((ledger, config) =>
        {
            ledger.FailMode = RedisLedgerOptions.ParseFailMode(config[RedisLedgerOptions.FailModeVariable]);
            ledger.ReservationLease = RedisLedgerOptions.ParseLease(config[RedisLedgerOptions.LeaseVariable]);
        });
        services.AddOptions<RedisStreamUsageOptions>().Configure<IConfiguration>((stream, config) =>
            stream.ClaimIdle = TimeSpan.FromMilliseconds(
                ProxyOptions.Read(config, RedisStreamUsageOptions.ClaimIdleVariable, (int)stream.ClaimIdle.TotalMilliseconds)));
        ProxyOptions.Read(builder.Configuration, RedisStreamUsageOptions.ClaimIdleVariable, 1);

        services.AddSingleton<RedisOutage>();

        // 1. Quotas: counted in Redis; QUOTA_FAIL_MODE decides what a request gets while Redis is unreachable. Leases of
        // running requests' reservations are renewed, so what a killed instance held is given back.
        services.AddSingleton<RedisQuotaLedger>();
        services.Replace(ServiceDescriptor.Singleton<IQuotaLedger, RedisFailModeLedger>());

        // The Admin reads requests in flight from the leases in Redis; the embedded ledger's table stays empty.
        services.Remove(services.Single(s => s.ImplementationType == typeof(InFlightSnapshotWriter)));
        services.AddHostedService<RedisReservationRenewal>();

        // 2. Usage: appended to the stream, drained into the database by one writer per instance.
        services.Replace(ServiceDescriptor.Singleton<IUsageSink, RedisStreamUsageSink>());
        services.AddHostedService<RedisStreamUsageWriter>();

        // 3. Model slots: shared by every instance, leased and renewed, so a killed instance's slots come back.
        services.AddOptions<ModelSlotOptions>().Configure<IConfiguration>(ModelSlotOptions.Bind);
        ModelSlotOptions.Bind(new ModelSlotOptions(), builder.Configuration);
        services.AddSingleton<RedisModelSlots>();
        services.Replace(ServiceDescriptor.Singleton<IModelSlots>(provider => provider.GetRequiredService<RedisModelSlots>()));
        services.AddHostedService<RedisSlotRenewal>();
        return builder;
    }
}
