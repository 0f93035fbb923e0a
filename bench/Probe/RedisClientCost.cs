using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using StackExchange.Redis;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// What the distributed proxy's Redis calls cost the proxy itself: this process's CPU time per call (client side:
/// StackExchange.Redis, our parameters and replies, the socket), with 32 calls in flight as under load. Three rows:
/// the library's floor (a GET of a missing key), the usage event's XADD, and the Redis ledger's reserve + settle as
/// the proxy makes them. A non-streamed request makes one reserve + settle and one XADD.
/// </summary>
public static class RedisClientCost
{
    private const int InFlight = 32;

    public static async Task<int> RunAsync(string redis, double seconds)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var database = connection.GetDatabase();
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System);
        var ledger = new RedisQuotaLedger(
            connection, calendar, new LedgerBenchmark.EmptyBaseline(), Options.Create(new QuotaOptions()), Options.Create(new RedisLedgerOptions()),
            NullLogger<RedisQuotaLedger>.Instance);
        var limits = new QuotaLimits(1_000_000_000_000, 1_000_000_000_000, 1_000_000_000, 1_000_000_000);
        var usage = new UsageEvent
        {
            Id = Guid.CreateVersion7(), KeyId = Guid.NewGuid(), Model = "llama3", Endpoint = "/api/chat", PromptTokens = 26,
            CompletionTokens = 8, StatusCode = 200, DurationMs = 2, CreatedAt = DateTime.UtcNow,
        };

        await Measure("redis client: GET (the library's floor)", seconds, _ => database.StringGetAsync("oq:bench:missing"));
        await Measure("redis client: XADD usage event", seconds, _ => database.StreamAddAsync("oq:bench:usage", RedisUsageEntry.ToFields(usage), maxLength: 1000, useApproximateMaxLength: true));
        await Measure("redis client: ledger reserve + settle", seconds, async worker =>
        {
            var result = await ledger.ReserveAsync(new ReserveRequest(KeyOf(worker), limits, 30, null, GeneratesText: true), CancellationToken.None);
            await ledger.SettleAsync(result.Reservation!, 80, refund: false, CancellationToken.None);
        });
        return 0;
    }

    private static readonly Guid[] Keys = [.. Enumerable.Range(0, InFlight).Select(_ => Guid.NewGuid())];

    private static Guid KeyOf(int worker) => Keys[worker];

    private static async Task Measure(string name, double seconds, Func<int, Task> call)
    {
        await Loop(call, 0.5); // warm-up: JIT, tiering, connections, scripts loaded
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var calls = await Loop(call, seconds);
        var elapsed = stopwatch.Elapsed;
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"{name}\t{calls / elapsed.TotalSeconds:0}\t{used.TotalMicroseconds / calls:0.0} µs client CPU per call, {InFlight} in flight, {seconds:0.#} s");
    }

    private static async Task<long> Loop(Func<int, Task> call, double seconds)
    {
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var counts = await Task.WhenAll(Enumerable.Range(0, InFlight).Select(worker => Task.Run(async () =>
        {
            long done = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                await call(worker);
                done++;
            }

            return done;
        })));
        return counts.Sum();
    }
}
