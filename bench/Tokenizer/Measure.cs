using System.Diagnostics;

namespace OllamaQuota.Bench.Tokenizer;

internal readonly record struct Timing(int Tokens, double Seconds, int Runs, long AllocatedBytesPerRun);

internal static class Measure
{
    /// <summary>
    /// Warms up for a second, then times whole-corpus runs for at least <paramref name="seconds"/> and
    /// reports the fastest: on a shared machine that is the run least disturbed by other work.
    /// </summary>
    public static Timing Run(Func<int> action, double seconds)
    {
        var warmUntil = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * 1.0);
        var tokens = action();
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            action();
        }

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        action();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        var times = new List<double>();
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * seconds);
        while (times.Count < 5 || (Stopwatch.GetTimestamp() < deadline && times.Count < 200))
        {
            var start = Stopwatch.GetTimestamp();
            tokens = action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return new Timing(tokens, times.Min(), times.Count, allocated);
    }
}
