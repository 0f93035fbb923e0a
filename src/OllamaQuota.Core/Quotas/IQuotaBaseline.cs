using OllamaQuota.Core.Usage;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// Where a ledger's counters start from when it has none for a key or an owner (a restart, a Redis flush, a key
/// joining or leaving the owner): the usage already recorded for today and this month, and for the current minute or
/// hour, so that restarting never resets anyone's quota. An owner's usage is that of the keys it holds now.
/// </summary>
public interface IQuotaBaseline
{
    Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken);

    /// <summary>The usage recorded in a short window (a minute, an hour), counted from the usage events.</summary>
    Task<UsageTotals> LoadWindowAsync(Guid keyId, QuotaWindow window, CancellationToken cancellationToken);

    /// <summary>Today's and this month's usage of the keys the owner holds now.</summary>
    Task<KeyUsage> LoadOwnerAsync(Guid ownerId, DateOnly today, CancellationToken cancellationToken);

    /// <summary>The usage of the keys the owner holds now in a short window.</summary>
    Task<UsageTotals> LoadOwnerWindowAsync(Guid ownerId, QuotaWindow window, CancellationToken cancellationToken);
}

public static class QuotaBaselineExtensions
{
    /// <summary>
    /// What each of <paramref name="windows"/> starts from: the recorded usage of its key or its owner in it. Day and
    /// month come from one read per scope.
    /// </summary>
    public static async Task<WindowCount[]> LoadCountsAsync(
        this IQuotaBaseline baseline, ReserveRequest request, IReadOnlyList<CountedWindow> windows, DateOnly today,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(windows);
        KeyUsage? keyUsage = null;
        KeyUsage? ownerUsage = null;
        var counts = new WindowCount[windows.Count];
        for (var i = 0; i < windows.Count; i++)
        {
            var window = windows[i];
            var owner = window.Scope == QuotaScope.Owner ? request.Owner?.OwnerId : null;
            UsageTotals totals;
            if (window.Period.AlwaysCounted())
            {
                var usage = owner is { } ownerId
                    ? ownerUsage ??= await baseline.LoadOwnerAsync(ownerId, today, cancellationToken)
                    : keyUsage ??= await baseline.LoadAsync(request.KeyId, today, cancellationToken);
                totals = window.Period == QuotaPeriod.Day ? usage.Today : usage.Month;
            }
            else
            {
                totals = owner is { } ownerId
                    ? await baseline.LoadOwnerWindowAsync(ownerId, window.Window, cancellationToken)
                    : await baseline.LoadWindowAsync(request.KeyId, window.Window, cancellationToken);
            }

            counts[i] = new WindowCount(totals.Requests, totals.Tokens);
        }

        return counts;
    }
}
