using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// Extends the leases of this instance's reservations while their requests run, and retries the settles Redis could
/// not take, every third of <see cref="RedisLedgerOptions.ReservationLease"/> (see <see cref="RedisQuotaLedger"/>).
/// </summary>
public sealed partial class RedisReservationRenewal(
    RedisQuotaLedger ledger,
    RedisOutage outage,
    IOptions<RedisLedgerOptions> options,
    TimeProvider time,
    ILogger<RedisReservationRenewal> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReservationLease / 3, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (outage.IsOngoing)
            {
                continue;
            }

            try
            {
                await ledger.RenewAsync(stoppingToken);
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                // The outage itself is logged by the requests that meet it; a lease that runs out meanwhile is logged once back.
                LogRenewalFailed(e);
            }
        }
    }

    [LoggerMessage(EventId = 2121, Level = LogLevel.Debug, Message = "Renewing reservation leases in Redis failed; retrying next round")]
    private partial void LogRenewalFailed(Exception exception);
}
