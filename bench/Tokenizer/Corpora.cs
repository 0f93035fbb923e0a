using System.Text;
using System.Text.Json;

namespace OllamaQuota.Bench.Tokenizer;

/// <summary>The inputs node/bench.mjs times too, rebuilt from the same seed and fragments.</summary>
internal static class Corpora
{
    private const int MiB = 1 << 20;

    public static IReadOnlyList<(string Name, string Text)> Build(string vectorsPath)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(vectorsPath));
        var mixed = json.RootElement.GetProperty("hashed").EnumerateArray()
            .Single(h => h.GetProperty("name").GetString() == "mixed_1mb");
        var fragments = mixed.GetProperty("fragments").EnumerateArray().Select(f => f.GetString()!).ToArray();
        var seed = mixed.GetProperty("seed").GetUInt32();
        var minLength = mixed.GetProperty("minLength").GetInt32();

        return
        [
            ("mixed 1 MiB", FragmentText(seed, fragments, minLength)),
            ("'a' x 64 KiB", new string('a', 64 * 1024)),
            ("spaces x 64 KiB", new string(' ', 64 * 1024)),
            ("'a' x 1 MiB", new string('a', MiB)),
            ("spaces x 1 MiB", new string(' ', MiB)),
        ];
    }

    // Same LCG and pick as generate.mjs and bench.mjs.
    private static string FragmentText(uint seed, string[] fragments, int minLength)
    {
        var text = new StringBuilder(minLength + 256);
        var state = seed;
        while (text.Length < minLength)
        {
            state = unchecked((state * 1664525u) + 1013904223u);
            text.Append(fragments[(state >> 16) % (uint)fragments.Length]);
        }

        return text.ToString();
    }
}
