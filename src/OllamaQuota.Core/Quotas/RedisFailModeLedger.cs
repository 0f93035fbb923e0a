using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The ledger of distributed mode: <see cref="RedisQuotaLedger"/>, with <c>QUOTA_FAIL_MODE</c> deciding what a
/// reserve does while Redis is unreachable. Closed: throw <see cref="RedisLedgerUnavailableException"/> (the proxy
/// answers 503). Open: count in an <see cref="InProcessQuotaLedger"/> started fresh from the database for this
/// outage, and say so loudly. A settle that cannot reach Redis is logged, never thrown, so the usage event of a
/// request already served is still recorded; the ledger keeps it and settles it once Redis is back.
/// </summary>
public sealed partial class RedisFailModeLedger(
    RedisQuotaLedger redisLedger,
    RedisOutage outage,
    QuotaCalendar calendar,
    IQuotaBaseline baseline,
    IOptions<QuotaOptions> quotaOptions,
    IOptions<RedisLedgerOptions> options,
    TimeProvider time,
    ILogger<RedisFailModeLedger> logger) : IQuotaLedger
{
    // Reservations made while counting locally settle where they were made, even after Redis is back.
    private readonly ConditionalWeakTable<Reservation, InProcessQuotaLedger> _localReservations = [];
    private readonly Lock _lock = new();
    private InProcessQuotaLedger? _local;
    private long _localRequests;
    private long _lastWarning;

    public async ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var outageStarted = false;
        if (!outage.IsOngoing)
        {
            try
            {
                var result = await redisLedger.ReserveAsync(request, cancellationToken);
                outage.ReportSuccess();
                EndLocalCounting();
                return result;
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                outageStarted = outage.ReportFailure(e);
                failure = e;
            }
        }

        if (options.Value.FailMode == QuotaFailMode.Closed)
        {
            if (outageStarted)
            {
                LogRefusing();
            }

            LogRefused(request.KeyId);
            throw new RedisLedgerUnavailableException(RedisLedgerUnavailableException.ClientMessage, failure);
        }

        var local = LocalLedger(failure);
        var reserved = await local.ReserveAsync(request, cancellationToken);
        if (reserved.Reservation is { } reservation)
        {
            _localReservations.AddOrUpdate(reservation, local);
        }

        return reserved;
    }

    public async ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (_localReservations.TryGetValue(reservation, out var local))
        {
            await local.SettleAsync(reservation, actualTokens, refund, cancellationToken);
            return;
        }

        if (outage.IsOngoing)
        {
            LogSettleDeferred(reservation.KeyId);
            redisLedger.SettleLater(reservation, actualTokens, refund);
            return;
        }

        try
        {
            await redisLedger.SettleAsync(reservation, actualTokens, refund, cancellationToken);
            outage.ReportSuccess();
        }
        catch (Exception e) when (RedisOutage.IsRedisFailure(e))
        {
            outage.ReportFailure(e);
            LogSettleFailed(e, reservation.KeyId);
            redisLedger.SettleLater(reservation, actualTokens, refund);
        }
    }

    /// <summary>
    /// Redis's counters; while Redis is unreachable, in open mode those this instance counts meanwhile (or, before it
    /// counted any, the database's), and in closed mode none: <see cref="RedisLedgerUnavailableException"/>.
    /// </summary>
    public async ValueTask<QuotaSnapshot> ReadAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        if (!outage.IsOngoing)
        {
            try
            {
                return await redisLedger.ReadAsync(request, cancellationToken);
            }
            catch (Exception e) when (RedisOutage.IsRedisFailure(e))
            {
                outage.ReportFailure(e);
                failure = e;
            }
        }

        if (options.Value.FailMode == QuotaFailMode.Closed)
        {
            throw new RedisLedgerUnavailableException(RedisLedgerUnavailableException.ClientMessage, failure);
        }

        var local = Volatile.Read(ref _local) ?? new InProcessQuotaLedger(calendar, baseline, quotaOptions);
        return await local.ReadAsync(request, cancellationToken);
    }

    private InProcessQuotaLedger LocalLedger(Exception? failure)
    {
        lock (_lock)
        {
            _localRequests++;
            if (_local is null)
            {
                // A fresh ledger per outage: its counters start from what the database holds now.
                _local = new InProcessQuotaLedger(calendar, baseline, quotaOptions);
                _lastWarning = time.GetTimestamp();
                LogCountingLocally(failure);
            }
            else if (time.GetElapsedTime(_lastWarning) >= options.Value.OutageWarningInterval)
            {
                _lastWarning = time.GetTimestamp();
                LogStillCountingLocally(_localRequests);
            }

            return _local;
        }
    }

    private void EndLocalCounting()
    {
        if (Volatile.Read(ref _local) is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_local is null)
            {
                return;
            }

            LogBackInRedis(_localRequests);
            _local = null;
            _localRequests = 0;
        }
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Error,
        Message = "QUOTA_FAIL_MODE=open: Redis is unreachable, so requests are served with quotas counted by this instance alone; limits are not shared between instances until Redis is back")]
    private partial void LogCountingLocally(Exception? exception);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning,
        Message = "QUOTA_FAIL_MODE=open: Redis is still unreachable; {Requests} requests served so far with quotas counted by this instance alone")]
    private partial void LogStillCountingLocally(long requests);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning,
        Message = "Redis is back: quotas are shared again after {Requests} requests counted by this instance alone")]
    private partial void LogBackInRedis(long requests);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Error,
        Message = "QUOTA_FAIL_MODE=closed: Redis is unreachable, so metered requests are refused with 503 until it is back")]
    private partial void LogRefusing();

    [LoggerMessage(EventId = 2116, Level = LogLevel.Debug,
        Message = "QUOTA_FAIL_MODE=closed: a request of key {KeyId} was refused with 503 because Redis is unreachable")]
    private partial void LogRefused(Guid keyId);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Warning,
        Message = "Settling a reservation of key {KeyId} in Redis failed; it is settled once Redis answers again")]
    private partial void LogSettleFailed(Exception exception, Guid keyId);

    [LoggerMessage(EventId = 2115, Level = LogLevel.Warning,
        Message = "Redis is unreachable: a reservation of key {KeyId} is settled once it is back")]
    private partial void LogSettleDeferred(Guid keyId);
}
