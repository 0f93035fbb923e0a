using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OllamaQuota.Core.Tokens;

namespace OllamaQuota.Tests.Tokens;

public sealed partial class Cl100kDataTests
{
    private const string DataResource = "OllamaQuota.Core.Tokens.cl100k_base.json";
    private const string NoticeResource = "OllamaQuota.Core.Tokens.NOTICE";

    [Fact]
    public void RankData_Sha256_MatchesNotice()
    {
        var notice = ReadNotice();
        var recorded = Sha256Line().Match(notice);
        Assert.True(recorded.Success, $"NOTICE has no 'SHA-256: <64 hex digits>' line:\n{notice}");

        var actual = Convert.ToHexStringLower(SHA256.HashData(ReadResource(DataResource)));

        Assert.Equal(recorded.Groups[1].Value, actual);
    }

    [Fact]
    public void Notice_TiktokenVersion_MatchesVectorGenerator()
    {
        var version = VersionLine().Match(ReadNotice());
        Assert.True(version.Success, "NOTICE does not name the tiktoken package version.");

        Assert.Equal(Cl100kVectors.File.Tiktoken, version.Groups[1].Value);
    }

    private static string ReadNotice() => System.Text.Encoding.UTF8.GetString(ReadResource(NoticeResource));

    private static byte[] ReadResource(string name)
    {
        using var stream = typeof(Cl100kTokenizer).Assembly.GetManifestResourceStream(name);
        Assert.True(stream is not null, $"Resource {name} is not embedded in OllamaQuota.Core.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [GeneratedRegex(@"SHA-256:\s+([0-9a-f]{64})")]
    private static partial Regex Sha256Line();

    [GeneratedRegex(@"""tiktoken"", version ([0-9][0-9.]*[0-9])")]
    private static partial Regex VersionLine();
}
