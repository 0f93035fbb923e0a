using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OllamaQuota.Tests.Tokens;

/// <summary>
/// The reference vectors made by Vectors/generate.mjs with the npm tiktoken package, plus the text
/// generators that rebuild its large inputs exactly as the script does.
/// </summary>
internal static class Cl100kVectors
{
    private static readonly Lazy<VectorFile> s_file = new(Load);

    public static VectorFile File => s_file.Value;

    public static VectorCase Case(string name) => File.Cases.Single(c => c.Name == name);

    public static HashedCase Hashed(string name) => File.Hashed.Single(c => c.Name == name);

    public static TheoryData<string> CaseNames() => [.. File.Cases.Select(c => c.Name)];

    public static TheoryData<string> ValidTextCaseNames() =>
        [.. File.Cases.Where(c => c.Text is not null).Select(c => c.Name)];

    public static TheoryData<string> HashedNames() => [.. File.Hashed.Select(c => c.Name)];

    public static TheoryData<string> ChatNames() => [.. File.Chat.Select(c => c.Name)];

    /// <summary>The same 32-bit LCG as generate.mjs.</summary>
    public static IEnumerable<uint> Lcg(uint seed)
    {
        var state = seed;
        while (true)
        {
            state = unchecked((state * 1664525u) + 1013904223u);
            yield return state;
        }
    }

    public static string BuildText(HashedCase hashed) => hashed.Kind switch
    {
        "fragments" => FragmentText(hashed.Seed, hashed.Fragments!, hashed.MinLength),
        "sweep" => CodePointSweep(hashed.From, hashed.To, hashed.Step),
        _ => throw new InvalidOperationException($"Unknown generator '{hashed.Kind}'."),
    };

    public static string IdsSha256(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length * sizeof(int)];
        for (var i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), ids[i]);
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static string FragmentText(uint seed, string[] fragments, int minLength)
    {
        var text = new StringBuilder(minLength + 256);
        using var rng = Lcg(seed).GetEnumerator();
        while (text.Length < minLength)
        {
            rng.MoveNext();
            text.Append(fragments[(rng.Current >> 16) % (uint)fragments.Length]);
        }

        return text.ToString();
    }

    private static string CodePointSweep(int from, int to, int step)
    {
        var text = new StringBuilder();
        for (var cp = from; cp <= to; cp += step)
        {
            if (cp is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            text.Append(char.ConvertFromUtf32(cp)).Append((cp % 3) switch { 0 => " ", 1 => "x", _ => "1" });
        }

        return text.ToString();
    }

    private static VectorFile Load()
    {
        var path = FindVectorFile();
        var json = System.IO.File.ReadAllText(path);
        return JsonSerializer.Deserialize<VectorFile>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    // Next to the test assembly when the project copies it there, otherwise in the source tree the
    // assembly was built from (bin/<configuration>/<tfm> sits three levels below the project).
    private static string FindVectorFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Tokens", "Vectors", "cl100k_vectors.json");
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Tokens/Vectors/cl100k_vectors.json not found from {AppContext.BaseDirectory} upwards.");
    }
}

internal sealed record VectorFile(string Tiktoken, string Encoding, VectorCase[] Cases, HashedCase[] Hashed, ChatCase[] Chat);

internal sealed record VectorCase(string Name, bool AllowSpecial, string? Text, int[]? Utf16, int[] Ids)
{
    /// <summary>The input; cases with unpaired surrogates carry UTF-16 code units because JSON readers reject them.</summary>
    public string Input => Text ?? new string([.. Utf16!.Select(u => (char)u)]);
}

internal sealed record HashedCase(
    string Name, string Kind, uint Seed, int MinLength, string[]? Fragments, int From, int To, int Step,
    int Length, int Count, string Sha256);

internal sealed record ChatCase(string Name, ChatMessageVector[] Messages, int Count);

internal sealed record ChatMessageVector(string Role, string Content, string? Name);
