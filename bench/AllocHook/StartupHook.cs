using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

#pragma warning disable CA1050 // The runtime looks the hook up by this exact name, outside any namespace.

/// <summary>
/// Loaded into the process under test by <c>DOTNET_STARTUP_HOOKS</c>. Every 100 ms it writes one line to
/// <c>BENCH_STATS_FILE</c>: total allocated bytes, GC counts per generation, GC pause time, heap size — read by
/// bench/run.sh before and after each load run to get allocations per request. With <c>BENCH_ALLOC_TYPES_FILE</c>
/// set it also listens to the runtime's GC AllocationTick events (one every ~100 KB allocated, naming the type that
/// crossed the threshold) and writes the cumulative sampled bytes per type there: a sampling allocation profile.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var statsFile = Environment.GetEnvironmentVariable("BENCH_STATS_FILE");
        var typesFile = Environment.GetEnvironmentVariable("BENCH_ALLOC_TYPES_FILE");
        if (string.IsNullOrEmpty(statsFile))
        {
            return;
        }

        var listener = string.IsNullOrEmpty(typesFile) ? null : new AllocationTickListener();
        var thread = new Thread(() => Loop(statsFile, typesFile, listener)) { IsBackground = true, Name = "bench-stats" };
        thread.Start();
    }

    private static void Loop(string statsFile, string? typesFile, AllocationTickListener? listener)
    {
        var tick = 0;
        while (true)
        {
            var info = GC.GetGCMemoryInfo();
            var line = string.Create(CultureInfo.InvariantCulture,
                $"allocated={GC.GetTotalAllocatedBytes(precise: true)} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:0.0} heap={info.HeapSizeBytes} committed={info.TotalCommittedBytes} threads={ThreadPool.ThreadCount}\n");
            WriteAtomically(statsFile, line);
            if (listener is not null && typesFile is not null && ++tick % 5 == 0)
            {
                WriteAtomically(typesFile, listener.Snapshot());
            }

            Thread.Sleep(100);
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        try
        {
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException)
        {
            // The harness may be removing its folder; the next tick tries again.
        }
    }

    private sealed class AllocationTickListener : EventListener
    {
        private const int AllocationTickEventId = 10;
        private readonly ConcurrentDictionary<string, (long Bytes, long Ticks)> _types = new(StringComparer.Ordinal);

        public string Snapshot()
        {
            var text = new StringBuilder();
            foreach (var (type, (bytes, ticks)) in _types.OrderByDescending(entry => entry.Value.Bytes))
            {
                text.Append(CultureInfo.InvariantCulture, $"{bytes}\t{ticks}\t{type}\n");
            }

            return text.ToString();
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick is Verbose.
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs data)
        {
            if (data.EventId != AllocationTickEventId || data.Payload is not { } payload || data.PayloadNames is not { } names)
            {
                return;
            }

            var type = names.IndexOf("TypeName") is >= 0 and var t ? payload[t] as string ?? "?" : "?";
            var amount = names.IndexOf("AllocationAmount64") is >= 0 and var a ? Convert.ToInt64(payload[a], CultureInfo.InvariantCulture) : 0;
            _types.AddOrUpdate(type, (amount, 1), (_, old) => (old.Bytes + amount, old.Ticks + 1));
            Debug.Assert(amount >= 0);
        }
    }
}
