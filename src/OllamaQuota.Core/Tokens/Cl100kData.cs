using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// Reads the cl100k_base rank table shipped inside this assembly: the npm package tiktoken's
/// encoders/cl100k_base.json, unmodified (provenance in NOTICE next to it).
/// </summary>
internal static class Cl100kData
{
    public const string ResourceName = "OllamaQuota.Core.Tokens.cl100k_base.json";
    public const string NoticeResourceName = "OllamaQuota.Core.Tokens.NOTICE";

    /// <summary>SHA-256 of the resource; NOTICE records the same value and a test holds them together.</summary>
    public const string Sha256 = "49a4e05dea02c8fafbd50cc4725c4aab8f39386c0afedef118e0dfebc2fe523a";

    /// <summary>The split pattern <see cref="Cl100kPreTokenizer"/> implements; the data must name the same one.</summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static byte[] ReadResource(string name)
    {
        using var stream = typeof(Cl100kData).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {typeof(Cl100kData).Assembly.GetName().Name}.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public static (RankTable Ranks, Dictionary<string, int> Specials) Load()
    {
        var json = ReadResource(ResourceName);

        // A damaged or swapped table would silently miscount every request, so refuse to start instead.
        var actual = Convert.ToHexStringLower(SHA256.HashData(json));
        if (actual != Sha256)
        {
            throw new InvalidDataException($"{ResourceName} has SHA-256 {actual}, expected {Sha256}.");
        }

        return Parse(json);
    }

    private static (RankTable Ranks, Dictionary<string, int> Specials) Parse(byte[] json)
    {
        RankTable? ranks = null;
        string? pattern = null;
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);

        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "pat_str":
                    pattern = reader.GetString();
                    break;
                case "special_tokens":
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = reader.GetString()!;
                        reader.Read();
                        specials[name] = reader.GetInt32();
                    }

                    break;
                case "bpe_ranks":
                    ranks = ParseRanks(reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (pattern != Pattern)
        {
            throw new InvalidDataException($"{ResourceName} uses split pattern '{pattern}', which the scanner does not implement.");
        }

        if (ranks is null || specials.Count == 0)
        {
            throw new InvalidDataException($"{ResourceName} lacks bpe_ranks or special_tokens.");
        }

        foreach (var (name, id) in specials)
        {
            if (ranks.IsToken(id) || !name.StartsWith("<|", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"Special token '{name}' ({id}) clashes with the rank table.");
            }
        }

        return (ranks, specials);
    }

    private static byte[] Unescape(ref Utf8JsonReader reader)
    {
        var buffer = new byte[reader.ValueSpan.Length];
        return buffer[..reader.CopyString(buffer)];
    }

    // The format is tiktoken's compact one: lines of "<ignored> <first rank> <base64 token>...", each
    // token taking the next rank.
    private static RankTable ParseRanks(ReadOnlySpan<byte> text)
    {
        var bytes = new byte[(text.Length / 4 * 3) + RankTable.Padding];
        var starts = new List<int>();
        var lengths = new List<int>();
        var written = 0;

        foreach (var lineRange in text.Split((byte)'\n'))
        {
            var line = text[lineRange];
            if (line.IsEmpty)
            {
                continue;
            }

            var field = 0;
            var rank = 0;
            foreach (var fieldRange in line.Split((byte)' '))
            {
                var value = line[fieldRange];
                if (field++ == 0)
                {
                    continue;
                }

                if (field == 2)
                {
                    rank = int.Parse(Encoding.ASCII.GetString(value), System.Globalization.CultureInfo.InvariantCulture);
                    continue;
                }

                if (Base64.DecodeFromUtf8(value, bytes.AsSpan(written), out _, out var length) != OperationStatus.Done
                    || length == 0)
                {
                    throw new InvalidDataException($"Token {rank} in {ResourceName} is not valid base64.");
                }

                while (starts.Count <= rank)
                {
                    starts.Add(0);
                    lengths.Add(0);
                }

                starts[rank] = written;
                lengths[rank] = length;
                written += length;
                rank++;
            }
        }

        return new RankTable(bytes, [.. starts], [.. lengths]);
    }
}
