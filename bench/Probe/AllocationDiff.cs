using System.Globalization;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// The allocation-tick profile (written by bench/AllocHook) between two snapshots, as sampled bytes per request by
/// type. Each tick stands for ~100 KB allocated and names the type whose allocation crossed the threshold, so the
/// shares are statistical: trust types with many ticks.
/// </summary>
public static class AllocationDiff
{
    public static int Print(string beforeFile, string afterFile, long requests, int top)
    {
        var before = Read(beforeFile);
        var after = Read(afterFile);
        var rows = after
            .Select(entry => (Type: entry.Key, Bytes: entry.Value.Bytes - before.GetValueOrDefault(entry.Key).Bytes, Ticks: entry.Value.Ticks - before.GetValueOrDefault(entry.Key).Ticks))
            .Where(row => row.Ticks > 0)
            .OrderByDescending(row => row.Bytes)
            .ToList();
        var total = rows.Sum(row => row.Bytes);
        Console.WriteLine($"| type | bytes/request | share | ticks |");
        Console.WriteLine($"| --- | ---: | ---: | ---: |");
        foreach (var row in rows.Take(top))
        {
            Console.WriteLine($"| `{row.Type}` | {(double)row.Bytes / requests:0} | {100.0 * row.Bytes / total:0.0}% | {row.Ticks} |");
        }

        Console.WriteLine($"| (all {rows.Count} types) | {(double)total / requests:0} | 100% | {rows.Sum(row => row.Ticks)} |");
        return 0;
    }

    private static Dictionary<string, (long Bytes, long Ticks)> Read(string file)
    {
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return result;
        }

        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split('\t', 3);
            if (parts.Length == 3)
            {
                result[parts[2]] = (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
            }
        }

        return result;
    }
}
