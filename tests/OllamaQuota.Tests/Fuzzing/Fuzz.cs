using System.Globalization;
using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace OllamaQuota.Tests.Fuzzing;

/// <summary>
/// Runs a property over generated inputs with CsCheck, which shrinks a failure to a small input and prints the seed
/// that replays it. The test command runs each property a few hundred times (seconds in all); a longer campaign
/// (bench/fuzz.sh) sets <c>FUZZ_SECONDS</c> (per property) or <c>FUZZ_ITERATIONS</c>, and <c>FUZZ_SEED</c> replays a
/// reported failure.
/// </summary>
internal static class Fuzz
{
    public static void Check<T>(Gen<T> gen, Action<T> property, ITestOutputHelper output, long iterations, Func<T, string>? print = null)
    {
        var seconds = Setting("FUZZ_SECONDS");
        gen.Sample(
            property,
            output.WriteLine,
            seed: Environment.GetEnvironmentVariable("FUZZ_SEED") is { Length: > 0 } seed ? seed : null,
            iter: seconds is null ? Setting("FUZZ_ITERATIONS") ?? iterations : -1,
            time: seconds is { } time ? (int)time : -1,
            print: print);
    }

    /// <summary>Bytes as text a reader can follow: printable ASCII as is, everything else as \xNN.</summary>
    public static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? (char)b : $"\\x{b:X2}");
        }

        return text.ToString();
    }

    private static long? Setting(string name) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
}
