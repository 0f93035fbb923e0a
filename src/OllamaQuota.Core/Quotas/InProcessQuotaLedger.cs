using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The embedded-mode ledger: counters in memory, one lock per key and per owner, the same rules as every ledger
/// (<see cref="QuotaRules"/>). Correct for one proxy process; distributed mode shares counters through Redis.
/// A reserve of an owned key holds the owner's lock and then the key's (always in that order), so that the key's and
/// the owner's limits are checked and counted as one step. The in-flight count of a key or owner is the number of its
/// reservations not yet settled: the proxy settles every reservation exactly once on every path (served, refunded,
/// aborted), and a process that dies takes its counts with it. An owner's windows are kept per version of its
/// membership (<see cref="OwnerQuota.KeysVersion"/>): a newer version reloads them from the baseline.
/// </summary>
public sealed class InProcessQuotaLedger(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options) : IQuotaLedger
{
    private readonly ConcurrentDictionary<Guid, Counters> _keys = new();
    private readonly ConcurrentDictionary<Guid, Counters> _owners = new();

    // The windows each unsettled reservation was counted in, by reference: a settle touches only those still current,
    // and a second settle of the same reservation finds nothing.
    private readonly ConcurrentDictionary<Reservation, Held> _held = new(ReferenceEqualityComparer.Instance);

    /// <summary>Requests in flight per key right now (keys with none are left out).</summary>
    public IReadOnlyDictionary<Guid, long> InFlight()
    {
        var inFlight = new Dictionary<Guid, long>();
        foreach (var (keyId, state) in _keys)
        {
            lock (state)
            {
                if (state.InFlight > 0)
                {
                    inFlight[keyId] = state.InFlight;
                }
            }
        }

        return inFlight;
    }

    public async ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = calendar.UtcNow;
        var windows = calendar.CountedWindows(request, now);
        var (key, owner) = await StatesAsync(request, windows, cancellationToken);
        return Locked(key, owner, () =>
        {
            var counts = Current(key, owner, windows);
            var inFlight = new InFlightCounts(key.InFlight, owner?.InFlight ?? 0);
            var result = QuotaRules.Reserve(
                request, windows, counts, inFlight, calendar.DayOf(now), now, options.Value.MaxCompletionTokens);
            if (result.Reservation is { } reservation)
            {
                for (var i = 0; i < windows.Length; i++)
                {
                    StateOf(key, owner, windows[i]).Set(windows[i], new WindowCount(counts[i].Requests + 1, counts[i].Tokens + reservation.ReservedTokens));
                }

                key.InFlight++;
                if (owner is not null)
                {
                    owner.InFlight++;
                }

                _held[reservation] = new Held(key, owner, owner?.Version ?? 0, windows);
            }

            return result;
        });
    }

    public ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (_held.TryRemove(reservation, out var held))
        {
            Locked(held.Key, held.Owner, () =>
            {
                foreach (var window in held.Windows)
                {
                    var state = StateOf(held.Key, held.Owner, window);

                    // An owner's windows of an older membership were replaced by a rebuild: nothing of theirs is current.
                    var sameVersion = window.Scope == QuotaScope.Key || held.Owner!.Version == held.OwnerVersion;
                    if (sameVersion && state.IsCurrent(window))
                    {
                        state.Set(window, QuotaRules.Settle(state.Current(window), reservation.ReservedTokens, actualTokens, refund));
                    }
                }

                held.Key.InFlight--;
                if (held.Owner is not null)
                {
                    held.Owner.InFlight--;
                }

                return 0;
            });
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<QuotaSnapshot> ReadAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = calendar.UtcNow;
        var windows = calendar.CountedWindows(request, now);
        var (key, owner) = await StatesAsync(request, windows, cancellationToken);
        return Locked(key, owner, () =>
            new QuotaSnapshot(windows, Current(key, owner, windows), new InFlightCounts(key.InFlight, owner?.InFlight ?? 0), now));
    }

    private static T Locked<T>(Counters key, Counters? owner, Func<T> action)
    {
        if (owner is null)
        {
            lock (key)
            {
                return action();
            }
        }

        lock (owner)
        {
            lock (key)
            {
                return action();
            }
        }
    }

    private static Counters StateOf(Counters key, Counters? owner, CountedWindow window) =>
        window.Scope == QuotaScope.Owner ? owner! : key;

    private static WindowCount[] Current(Counters key, Counters? owner, CountedWindow[] windows) =>
        [.. windows.Select(w => StateOf(key, owner, w).Current(w))];

    /// <summary>
    /// The key's counters and its owner's, loaded from the baseline when this ledger has none yet (or, for the owner,
    /// only those of an older membership). Loaded outside any lock; if two first requests race, the first to add wins
    /// and the other's load is dropped. Like the Redis ledger, every window counted now starts from what is recorded;
    /// one that starts to be counted later (a limit set on a minute or an hour) starts empty.
    /// </summary>
    private async ValueTask<(Counters Key, Counters? Owner)> StatesAsync(
        ReserveRequest request, CountedWindow[] windows, CancellationToken cancellationToken)
    {
        if (!_keys.TryGetValue(request.KeyId, out var key))
        {
            var own = windows.Where(w => w.Scope == QuotaScope.Key).ToArray();
            key = _keys.GetOrAdd(request.KeyId, Counters.Loaded(own, await LoadAsync(request, own, cancellationToken), 0));
        }

        if (request.Owner is not { } ownerQuota)
        {
            return (key, null);
        }

        var version = ownerQuota.KeysVersion;
        if (_owners.TryGetValue(ownerQuota.OwnerId, out var owner) && Volatile.Read(ref owner.Version) >= version)
        {
            return (key, owner);
        }

        var shared = windows.Where(w => w.Scope == QuotaScope.Owner).ToArray();
        var loaded = Counters.Loaded(shared, await LoadAsync(request, shared, cancellationToken), version);
        owner = _owners.GetOrAdd(ownerQuota.OwnerId, loaded);
        if (owner != loaded)
        {
            lock (owner)
            {
                owner.Replace(loaded);
            }
        }

        return (key, owner);
    }

    private Task<WindowCount[]> LoadAsync(ReserveRequest request, CountedWindow[] windows, CancellationToken cancellationToken) =>
        baseline.LoadCountsAsync(request, windows, calendar.DayOf(calendar.UtcNow), cancellationToken);

    /// <summary>
    /// A key's or an owner's counters: per period, the window counted now and its count (a new window starts at zero),
    /// and the requests in flight; for an owner, the membership version its windows were counted under.
    /// </summary>
    private sealed class Counters
    {
        private readonly string?[] _ids = new string?[QuotaPeriodExtensions.All.Length];
        private readonly WindowCount[] _counts = new WindowCount[QuotaPeriodExtensions.All.Length];

        public long Version;

        public long InFlight { get; set; }

        public static Counters Loaded(CountedWindow[] windows, WindowCount[] counts, long version)
        {
            var counters = new Counters { Version = version };
            for (var i = 0; i < windows.Length; i++)
            {
                counters.Set(windows[i], counts[i]);
            }

            return counters;
        }

        /// <summary>Takes the windows of a newer membership; the requests in flight stay, as they are still running.</summary>
        public void Replace(Counters newer)
        {
            if (newer.Version <= Version)
            {
                return;
            }

            newer._ids.CopyTo(_ids, 0);
            newer._counts.CopyTo(_counts, 0);
            Volatile.Write(ref Version, newer.Version);
        }

        public bool IsCurrent(CountedWindow window) => _ids[(int)window.Period] == window.Id;

        public WindowCount Current(CountedWindow window) => IsCurrent(window) ? _counts[(int)window.Period] : default;

        public void Set(CountedWindow window, WindowCount count)
        {
            _ids[(int)window.Period] = window.Id;
            _counts[(int)window.Period] = count;
        }
    }

    /// <summary>An unsettled reservation: the counters it was counted in, the owner's version then, and its windows.</summary>
    private sealed record Held(Counters Key, Counters? Owner, long OwnerVersion, CountedWindow[] Windows);
}
