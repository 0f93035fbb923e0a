using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace OllamaQuota.Core.Keys;

/// <summary>Makes new API keys and hashes presented ones. Only the hash is ever stored.</summary>
public static class ApiKeySecret
{
    public const string Prefix = "sk-";

    /// <summary>How much of the plaintext lists show: "sk-" and 8 characters, 48 bits, too few to guess the rest from.</summary>
    public const int DisplayPrefixLength = 11;

    private const int RandomBytes = 32;

    /// <summary>A new key: "sk-" + 256 random bits in URL-safe base64 (43 characters).</summary>
    public static NewApiKey Generate()
    {
        Span<byte> random = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(random);
        var plaintext = Prefix + Base64Url.EncodeToString(random);
        return new NewApiKey(plaintext, plaintext[..DisplayPrefixLength], Hash(plaintext));
    }

    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 bytes.</summary>
    public static string Hash(ReadOnlySpan<char> key)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(key.Length);
        var buffer = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(key, buffer);
        SHA256.HashData(buffer[..length], digest);
        return Convert.ToHexStringLower(digest);
    }
}

/// <summary>A freshly generated key. <see cref="Plaintext"/> is shown to the admin once and then forgotten.</summary>
public sealed record NewApiKey(string Plaintext, string DisplayPrefix, string Hash);
