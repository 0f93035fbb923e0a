using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The embedded-mode ledger: counters in memory, one lock per key, the same rules as every ledger
/// (<see cref="QuotaRules"/>). Correct for one proxy process; distributed mode shares counters through Redis.
/// The in-flight count of a key is the number of its reservations not yet settled: the proxy settles every
/// reservation exactly once on every path (served, refunded, aborted), and a process that dies takes its counts with it.
/// </summary>
public sealed class InProcessQuotaLedger(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options) : IQuotaLedger
{
    private readonly ConcurrentDictionary<Guid, KeyState> _keys = new();

    // The windows each unsettled reservation was counted in, by reference: a settle touches only those still current,
    // and a second settle of the same reservation finds nothing.
    private readonly ConcurrentDictionary<Reservation, CountedWindow[]> _held = new(ReferenceEqualityComparer.Instance);

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
        var windows = calendar.CountedWindows(request.Limits, now);
        var state = await StateAsync(request.KeyId, windows, cancellationToken);
        ReserveResult result;
        lock (state)
        {
            Span<WindowCount> counts = stackalloc WindowCount[windows.Length];
            for (var i = 0; i < windows.Length; i++)
            {
                counts[i] = state.Current(windows[i]);
            }

            result = QuotaRules.Reserve(
                request, windows, counts, state.InFlight, calendar.DayOf(now), now, options.Value.MaxCompletionTokens);
            if (result.Reservation is { } reservation)
            {
                for (var i = 0; i < windows.Length; i++)
                {
                    state.Set(windows[i], new WindowCount(counts[i].Requests + 1, counts[i].Tokens + reservation.ReservedTokens));
                }

                state.InFlight++;
                _held[reservation] = windows;
            }
        }

        return result;
    }

    public ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (_held.TryRemove(reservation, out var windows) && _keys.TryGetValue(reservation.KeyId, out var state))
        {
            lock (state)
            {
                foreach (var window in windows)
                {
                    if (state.IsCurrent(window))
                    {
                        state.Set(window, QuotaRules.Settle(state.Current(window), reservation.ReservedTokens, actualTokens, refund));
                    }
                }

                state.InFlight--;
            }
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask<KeyState> StateAsync(Guid keyId, CountedWindow[] windows, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue(keyId, out var state))
        {
            return state;
        }

        // Loaded outside any lock; if two first requests race, the first to add wins and the other's load is dropped.
        // Like the Redis ledger, every window counted now starts from what is recorded; one that starts to be counted
        // later (a limit set on a minute or an hour) starts empty.
        var loaded = new KeyState();
        var usage = await baseline.LoadAsync(keyId, calendar.DayOf(calendar.UtcNow), cancellationToken);
        foreach (var window in windows)
        {
            var totals = window.Period switch
            {
                QuotaPeriod.Day => usage.Today,
                QuotaPeriod.Month => usage.Month,
                _ => await baseline.LoadWindowAsync(keyId, window.Window, cancellationToken),
            };
            loaded.Set(window, new WindowCount(totals.Requests, totals.Tokens));
        }

        return _keys.GetOrAdd(keyId, loaded);
    }

    /// <summary>A key's counters: per period, the window counted now and its count; a new window starts at zero.</summary>
    private sealed class KeyState
    {
        private readonly string?[] _ids = new string?[QuotaPeriodExtensions.All.Length];
        private readonly WindowCount[] _counts = new WindowCount[QuotaPeriodExtensions.All.Length];

        public long InFlight { get; set; }

        public bool IsCurrent(CountedWindow window) => _ids[(int)window.Period] == window.Id;

        public WindowCount Current(CountedWindow window) => IsCurrent(window) ? _counts[(int)window.Period] : default;

        public void Set(CountedWindow window, WindowCount count)
        {
            _ids[(int)window.Period] = window.Id;
            _counts[(int)window.Period] = count;
        }
    }
}
