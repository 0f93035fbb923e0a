using System.Security.Cryptography;
using System.Text;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// A Lua script identified by its SHA1, computed here so <c>EVALSHA</c> can be sent without a prior <c>SCRIPT LOAD</c>
/// round trip; the server is told the text only when it answers <c>NOSCRIPT</c>.
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string lua, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(lua);
        Lua = lua;
        Name = name ?? "script";
#pragma warning disable CA5350 // SHA1 is not used for security: it is the script identifier Redis defines for EVALSHA.
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(lua)));
#pragma warning restore CA5350
    }

    public string Lua { get; }

    /// <summary>Lower-case hex SHA1 of the UTF-8 script text, as <c>SCRIPT LOAD</c> returns it.</summary>
    public string Sha1 { get; }

    /// <summary>Short name for logs and spans.</summary>
    public string Name { get; }

    public override string ToString() => $"{Name} ({Sha1})";
}
