using Microsoft.Extensions.Options;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Proxy.Scheduling;

/// <summary>Extends the leases of this instance's model slots every third of <see cref="ModelSlotOptions.Lease"/>.</summary>
public sealed partial class RedisSlotRenewal(
    RedisModelSlots slots,
    RedisOutage outage,
    IOptions<ModelSlotOptions> options,
    TimeProvider time,
    ILogger<RedisSlotRenewal> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Lease / 3, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (outage.IsOngoing || slots.HeldCount == 0)
            {
                continue;
            }

            try
            {
                await slots.RenewAsync(stoppingToken);
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                LogRenewalFailed(e);
            }
        }
    }

    [LoggerMessage(EventId = 1306, Level = LogLevel.Debug, Message = "Renewing model slot leases in Redis failed; retrying next round")]
    private partial void LogRenewalFailed(Exception exception);
}
