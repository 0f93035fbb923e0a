using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The embedded-mode ledger: counters in memory, one lock per key, the same rules as every ledger
/// (<see cref="QuotaRules"/>). Correct for one proxy process; distributed mode shares counters through Redis.
/// </summary>
public sealed class InProcessQuotaLedger(QuotaCalendar calendar, IQuotaBaseline baseline, IOptions<QuotaOptions> options) : IQuotaLedger
{
    private readonly ConcurrentDictionary<Guid, KeyState> _keys = new();

    public async ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        var now = calendar.UtcNow;
        var today = calendar.DayOf(now);
        var state = await StateAsync(request.KeyId, today, cancellationToken);
        lock (state)
        {
            state.RollTo(today);
            var (result, counters) = QuotaRules.Reserve(
                request, state.Counters, today, FirstOfMonth(today),
                calendar.DayWindow(now).SecondsUntilEnd(now), calendar.MonthWindow(now).SecondsUntilEnd(now),
                options.Value.MaxCompletionTokens);
            state.Counters = counters;
            return result;
        }
    }

    public ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue(reservation.KeyId, out var state))
        {
            lock (state)
            {
                state.Counters = QuotaRules.Settle(
                    state.Counters, reservation, actualTokens, refund, state.Day == reservation.Day, state.Month == reservation.Month);
            }
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask<KeyState> StateAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue(keyId, out var state))
        {
            return state;
        }

        // Loaded outside any lock; if two first requests race, the first to add wins and the other's load is dropped.
        var usage = await baseline.LoadAsync(keyId, today, cancellationToken);
        var loaded = new KeyState(today, new QuotaCounters(
            usage.Today.Requests, usage.Today.Tokens, usage.Month.Requests, usage.Month.Tokens));
        return _keys.GetOrAdd(keyId, loaded);
    }

    private static DateOnly FirstOfMonth(DateOnly day) => new(day.Year, day.Month, 1);

    private sealed class KeyState(DateOnly day, QuotaCounters counters)
    {
        public DateOnly Day { get; private set; } = day;
        public DateOnly Month { get; private set; } = FirstOfMonth(day);
        public QuotaCounters Counters { get; set; } = counters;

        /// <summary>A new day starts its counters at zero; a new month, its own too.</summary>
        public void RollTo(DateOnly today)
        {
            if (today == Day)
            {
                return;
            }

            var month = FirstOfMonth(today);
            Counters = month == Month
                ? Counters with { DayRequests = 0, DayTokens = 0 }
                : new QuotaCounters(0, 0, 0, 0);
            Day = today;
            Month = month;
        }
    }
}
