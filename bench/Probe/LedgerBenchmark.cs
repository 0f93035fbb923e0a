using System.Diagnostics;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// Reserve + settle per second on the in-process ledger, as the proxy calls it (Europe/Berlin calendar, four limits
/// set), with one task per core: all on one key (the lock contended) and each on its own key. The Redis ledger, when
/// this build has one, is named but not driven here: its ceiling is redis-benchmark's EVALSHA rate (run.sh).
/// </summary>
public static class LedgerBenchmark
{
    public static async Task<int> RunAsync(double seconds)
    {
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System);
        var limits = new QuotaLimits(1_000_000_000_000, 1_000_000_000_000, 1_000_000_000, 1_000_000_000);
        var tasks = Environment.ProcessorCount;

        foreach (var (name, sharedKey) in new[] { ("in-process, 1 key", true), ($"in-process, {tasks} keys", false) })
        {
            var ledger = new InProcessQuotaLedger(calendar, new EmptyBaseline(), Options.Create(new QuotaOptions()));
            var key = Guid.NewGuid();
            await Loop(ledger, sharedKey ? key : Guid.NewGuid(), limits, 0.5); // warm-up: JIT, tiering, the key's state
            var stopwatch = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, tasks).Select(_ =>
                Task.Run(() => Loop(ledger, sharedKey ? key : Guid.NewGuid(), limits, seconds))));
            var total = counts.Sum();
            Console.WriteLine($"{name}\t{total / stopwatch.Elapsed.TotalSeconds:0}\t{tasks} tasks, {seconds:0.#} s");
        }

        var redisLedger = typeof(IQuotaLedger).Assembly.GetTypes()
            .FirstOrDefault(t => typeof(IQuotaLedger).IsAssignableFrom(t) && t.Name.Contains("Redis", StringComparison.Ordinal));
        Console.WriteLine(redisLedger is null
            ? "redis ledger\t-\tnot in this build (issue 5 in progress)"
            : $"redis ledger\t-\t{redisLedger.FullName} present; measured through the distributed proxy target");
        return 0;
    }

    private static async Task<long> Loop(IQuotaLedger ledger, Guid key, QuotaLimits limits, double seconds)
    {
        var request = new ReserveRequest(key, limits, 30, null, GeneratesText: true);
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        long done = 0;
        while ((done & 255) != 0 || Stopwatch.GetTimestamp() < until)
        {
            var result = await ledger.ReserveAsync(request, CancellationToken.None);
            await ledger.SettleAsync(result.Reservation!, 80, refund: false, CancellationToken.None);
            done++;
        }

        return done;
    }

    internal sealed class EmptyBaseline : IQuotaBaseline
    {
        public Task<KeyUsage> LoadAsync(Guid keyId, DateOnly today, CancellationToken cancellationToken) =>
            Task.FromResult(new KeyUsage(new UsageTotals(0, 0, 0), new UsageTotals(0, 0, 0)));

        public Task<UsageTotals> LoadWindowAsync(Guid keyId, QuotaWindow window, CancellationToken cancellationToken) =>
            Task.FromResult(new UsageTotals(0, 0, 0));

        public Task<KeyUsage> LoadOwnerAsync(Guid ownerId, DateOnly today, CancellationToken cancellationToken) =>
            LoadAsync(ownerId, today, cancellationToken);

        public Task<UsageTotals> LoadOwnerWindowAsync(Guid ownerId, QuotaWindow window, CancellationToken cancellationToken) =>
            LoadWindowAsync(ownerId, window, cancellationToken);
    }
}
