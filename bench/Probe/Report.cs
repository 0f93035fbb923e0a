using System.Globalization;

namespace OllamaQuota.Bench.Probe;

/// <summary>Turns the TSV files that bench/run.sh writes into the Markdown tables of bench/RESULTS.md.</summary>
public static class Report
{
    private static readonly string[] TargetOrder = ["direct", "nginx", "yarp", "embedded", "distributed", "base-embedded", "base-distributed"];

    public static int Print(string directory)
    {
        var meta = Rows(directory, "meta.tsv").ToDictionary(row => row[0], row => row.Length > 1 ? row[1] : "", StringComparer.Ordinal);
        var ticksPerSecond = double.Parse(meta.GetValueOrDefault("clk_tck", "100"), CultureInfo.InvariantCulture);

        // 1. Saturated throughput.
        var saturated = Rows(directory, "sat.tsv").Select(Saturated.From).ToList();
        Console.WriteLine($"### Throughput at saturation ({meta.GetValueOrDefault("load", "")})");
        Console.WriteLine();
        Console.WriteLine("| scenario | target | req/s | × nginx | × YARP | p50 | p99 | p99.9 | +p50 vs direct | +p99 vs direct | CPU/req | CPU/req with usage writer | usage writer caught up | peak RSS | alloc/req | errors |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var scenario in saturated.Select(s => s.Scenario).Distinct())
        {
            var cells = saturated.Where(s => s.Scenario == scenario).OrderBy(s => Array.IndexOf(TargetOrder, s.Target)).ToList();
            var direct = cells.FirstOrDefault(s => s.Target == "direct");
            var nginx = cells.FirstOrDefault(s => s.Target == "nginx");
            var yarp = cells.FirstOrDefault(s => s.Target == "yarp");
            foreach (var cell in cells)
            {
                var cpu = cell.Requests > 0 ? cell.CpuTicks / ticksPerSecond / cell.Requests * 1e6 : 0;
                var cpuWithWriter = cell.Requests > 0 ? cell.CpuTicksWithWriter / ticksPerSecond / cell.Requests * 1e6 : 0;
                Console.WriteLine(
                    $"| {scenario} | {cell.Target} | {cell.Rps:0} | {Ratio(cell, nginx)} | {Ratio(cell, yarp)} | {Ms(cell.P50)} | {Ms(cell.P99)} | {Ms(cell.P999)} "
                    + $"| {(direct is null || cell == direct ? "" : Delta(cell.P50 - direct.P50))} | {(direct is null || cell == direct ? "" : Delta(cell.P99 - direct.P99))} "
                    + $"| {cpu:0} µs | {(cell.CatchUpSeconds < 0 ? "" : $"{cpuWithWriter:0} µs")} | {(cell.CatchUpSeconds < 0 ? "" : $"{cell.CatchUpSeconds:0.0} s")} | {cell.PeakRssKb / 1024.0:0} MB | {(cell.AllocBytes < 0 ? "" : $"{cell.AllocBytes / 1024.0 / Math.Max(1, cell.Requests):0.0} KB")} | {cell.Errors} |");
            }
        }

        Console.WriteLine();
        Console.WriteLine("CPU/req, peak RSS and alloc/req are the server under test's own: the fake upstream for direct, nginx's master and");
        Console.WriteLine("workers for nginx, the proxy process for embedded and distributed (the fake behind them is not counted). The proxy");
        Console.WriteLine("answers before it writes usage: \"usage writer caught up\" is how long after the run its batch writer went on writing");
        Console.WriteLine("the run's usage events, and \"CPU/req with usage writer\" counts that work too.");

        // 2. Latency at a fixed offered load.
        var paced = Rows(directory, "paced.tsv").ToList();
        if (paced.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"### Latency at a fixed offered load ({meta.GetValueOrDefault("paced", "")})");
            Console.WriteLine();
            Console.WriteLine("| scenario | target | offered req/s | achieved req/s | p50 | p99 | p99.9 | +p50 vs direct | +p99 vs direct | errors |");
            Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            var direct = paced.FirstOrDefault(row => row[0] == "direct");
            foreach (var row in paced)
            {
                var isDirect = direct is null || row == direct;
                Console.WriteLine(
                    $"| {row[1]} | {row[0]} | {row[2]} | {D(row[3]):0} | {Ms(D(row[4]))} | {Ms(D(row[5]))} | {Ms(D(row[6]))} "
                    + $"| {(isDirect ? "" : Delta(D(row[4]) - D(direct![4])))} | {(isDirect ? "" : Delta(D(row[5]) - D(direct![5])))} | {row[7]} |");
            }
        }

        // 3. Time to first chunk.
        var ttfb = Rows(directory, "ttfb.tsv").ToList();
        if (ttfb.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"### Time to first chunk ({meta.GetValueOrDefault("ttfb", "")})");
            Console.WriteLine();
            Console.WriteLine("| scenario | target | first chunk p50 | p99 | mean | +p50 vs direct | +p99 vs direct | last byte p50 | failures |");
            Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var row in ttfb)
            {
                var direct = ttfb.FirstOrDefault(other => other[0] == "direct" && other[1] == row[1]);
                var isDirect = direct is null || row == direct;
                Console.WriteLine(
                    $"| {row[1]} | {row[0]} | {Ms(D(row[3]))} | {Ms(D(row[4]))} | {Ms(D(row[5]))} | {(isDirect ? "" : Delta(D(row[3]) - D(direct![3])))} "
                    + $"| {(isDirect ? "" : Delta(D(row[4]) - D(direct![4])))} | {Ms(D(row[6]))} | {row[7]} |");
            }
        }

        // 4. The ledger.
        var ledger = Rows(directory, "ledger.tsv").ToList();
        if (ledger.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("### Quota ledger: reserve + settle per second");
            Console.WriteLine();
            Console.WriteLine("| ledger | operations/s | how |");
            Console.WriteLine("| --- | ---: | --- |");
            foreach (var row in ledger)
            {
                Console.WriteLine($"| {row[0]} | {row[1]} | {(row.Length > 2 ? row[2] : "")} |");
            }
        }

        // 5. What could not be measured.
        foreach (var row in Rows(directory, "notes.tsv"))
        {
            Console.WriteLine();
            Console.WriteLine($"**{row[0]}**: {string.Join(' ', row.Skip(1))}");
        }

        return 0;
    }

    private static IEnumerable<string[]> Rows(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        return File.Exists(path)
            ? File.ReadLines(path).Where(line => line.Length > 0 && line[0] != '#').Select(line => line.Split('\t'))
            : [];
    }

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>Microseconds as milliseconds.</summary>
    private static string Ms(double microseconds) => microseconds >= 100_000 ? $"{microseconds / 1000:0} ms" : $"{microseconds / 1000:0.000} ms";

    /// <summary>This cell's throughput as a multiple of a baseline's in the same scenario; blank without one.</summary>
    private static string Ratio(Saturated cell, Saturated? baseline) => baseline is null ? "" : $"{cell.Rps / baseline.Rps:0.00}";

    private static string Delta(double microseconds) => $"{(microseconds >= 0 ? "+" : "−")}{Math.Abs(microseconds) / 1000:0.000} ms";

    /// <param name="CpuTicks">utime + stime of the server under test during the run, in clock ticks.</param>
    /// <param name="AllocBytes">Bytes the .NET server allocated during the run; −1 when not a .NET process.</param>
    /// <param name="CatchUpSeconds">How long the usage writer went on after the run; −1 when not the proxy.</param>
    /// <param name="CpuTicksWithWriter">utime + stime from the run's start until the usage writer caught up.</param>
    private sealed record Saturated(
        string Target, string Scenario, double Rps, long Requests, double P50, double P99, double P999, long Errors, double CpuTicks, long PeakRssKb,
        long AllocBytes, double CatchUpSeconds, double CpuTicksWithWriter)
    {
        // target scenario conns seconds requests rps p50 p99 p999 errors cpu_ticks hwm_kb alloc_bytes catchup_s cpu_ticks_with_writer
        public static Saturated From(string[] row) => new(
            row[0], row[1], D(row[5]), long.Parse(row[4], CultureInfo.InvariantCulture), D(row[6]), D(row[7]), D(row[8]),
            long.Parse(row[9], CultureInfo.InvariantCulture), D(row[10]), long.Parse(row[11], CultureInfo.InvariantCulture),
            long.Parse(row[12], CultureInfo.InvariantCulture), row.Length > 13 ? D(row[13]) : -1, row.Length > 14 ? D(row[14]) : D(row[10]));
    }
}
