using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// Embedded mode: publishes the in-process ledger's requests in flight to the <c>in_flight</c> table every
/// <see cref="Interval"/>, so the Admin (a separate process sharing only the database) can show them. Nothing is served
/// to key holders: the numbers go where the Admin already reads everything else. While any request is in flight the rows
/// are rewritten every round, which is the heartbeat the Admin checks (<see cref="Staleness"/>): a proxy that stopped
/// leaves rows that are soon ignored. When nothing is in flight and nothing changed, nothing is written.
/// </summary>
public sealed partial class InFlightSnapshotWriter(
    InProcessQuotaLedger ledger,
    IDbContextFactory<QuotaDbContext> contexts,
    TimeProvider time,
    ILogger<InFlightSnapshotWriter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Rows older than this are from a proxy that no longer runs.</summary>
    public static readonly TimeSpan Staleness = TimeSpan.FromSeconds(5);

    private IReadOnlyDictionary<Guid, long> _written = new Dictionary<Guid, long>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PublishAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPublishFailed(e);
            }
        }
    }

    /// <summary>One round: the table replaced by what is in flight now, unless both are empty.</summary>
    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        var now = ledger.InFlight();
        if (now.Count == 0 && _written.Count == 0)
        {
            return;
        }

        var at = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.InFlight.ExecuteDeleteAsync(cancellationToken);
        db.InFlight.AddRange(now.Select(entry => new InFlightRow { KeyId = entry.Key, Requests = entry.Value, UpdatedAt = at }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _written = now;
    }

    [LoggerMessage(EventId = 2130, Level = LogLevel.Warning, Message = "Publishing the requests in flight for the Admin failed; retrying next round")]
    private partial void LogPublishFailed(Exception exception);
}
