using System.Collections.Concurrent;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Tests.Quotas;

/// <summary>The usage "recorded in the database" that a ledger rebuilds its counters from, set by the test.</summary>
public sealed class FakeBaseline : IQuotaBaseline
{
    private int _loads;

    public ConcurrentDictionary<Guid, KeyUsage> Usage { get; } = new();

    public int Loads => Volatile.Read(ref _loads);

    /// <summary>What each key recorded in any minute or hour window (the same for every short window).</summary>
    public ConcurrentDictionary<Guid, UsageTotals> ShortWindowUsage { get; } = new();

    /// <summary>What the keys each owner holds now recorded today and this month.</summary>
    public ConcurrentDictionary<Guid, KeyUsage> OwnerUsage { get; } = new();

    /// <summary>What the keys each owner holds now recorded in any minute or hour window.</summary>
    public ConcurrentDictionary<Guid, UsageTotals> OwnerShortWindowUsage { get; } = new();

    public Task<UsageTotals> LoadWindowAsync(Guid keyId, QuotaWindow window, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        return Task.FromResult(ShortWindowUsage.GetValueOrDefault(keyId, UsageTotals.Zero));
    }

    public Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        return Task.FromResult(Usage.GetValueOrDefault(keyId, KeyUsage.Zero));
    }

    public Task<KeyUsage> LoadOwnerAsync(Guid ownerId, DateOnly today, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        return Task.FromResult(OwnerUsage.GetValueOrDefault(ownerId, KeyUsage.Zero));
    }

    public Task<UsageTotals> LoadOwnerWindowAsync(Guid ownerId, QuotaWindow window, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        return Task.FromResult(OwnerShortWindowUsage.GetValueOrDefault(ownerId, UsageTotals.Zero));
    }
}
