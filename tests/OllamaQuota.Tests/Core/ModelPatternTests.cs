using OllamaQuota.Core.Models;

namespace OllamaQuota.Tests.Core;

public sealed class ModelPatternTests
{
    [Theory]
    [InlineData("llama3", "llama3", true)]
    [InlineData("llama3", "llama3:latest", true)]
    [InlineData("llama3", "LLaMA3:Latest", true)]
    [InlineData("llama3", "library/llama3", true)]
    [InlineData("llama3", "registry.ollama.ai/library/llama3:latest", true)]
    [InlineData("llama3", "llama3:8b", false)]
    [InlineData("llama3", "llama3.2", false)]
    [InlineData("llama3", "llama3@sha256:abc", false)]
    [InlineData("llama3:latest", "llama3", true)]
    [InlineData("library/llama3:8b", "llama3:8b", true)]
    [InlineData("llama3.2:*", "llama3.2", true)]
    [InlineData("llama3.2:*", "llama3.2:1b", true)]
    [InlineData("llama3.2:*", "library/llama3.2:3b-instruct-q4_K_M", true)]
    [InlineData("llama3.2:*", "llama3.20:1b", false)]
    [InlineData("llama3.2:*", "llama3", false)]
    [InlineData("llama3*", "llama3", true)]
    [InlineData("llama3*", "llama3.1:70b", true)]
    [InlineData("llama3*", "llama2", false)]
    [InlineData("qwen2.5:*-instruct", "qwen2.5:7b-instruct", true)]
    [InlineData("qwen2.5:*-instruct", "qwen2.5:7b", false)]
    [InlineData("hf.co/bartowski/*", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", true)]
    [InlineData("hf.co/bartowski/*", "hf.co/unsloth/x", false)]
    [InlineData("*", "anything/at:all", true)]
    public void Matches_EntryAndRequestedName_AsOllamaResolvesNames(string entry, string requested, bool allowed)
    {
        var (pattern, error) = ModelPattern.Parse(entry);

        Assert.Null(error);
        Assert.Equal(allowed, pattern!.Matches(ModelPattern.ShortForm(requested)));
        Assert.Equal(allowed, ModelAccess.From([entry]).Allows(requested));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("llama 3")]
    [InlineData("*:latest")]
    [InlineData("lla*ma3")]
    [InlineData("llama3:**")]
    [InlineData("llama3:*:*")]
    [InlineData("m@sha256:*x")]
    [InlineData("library/llama3*")]
    [InlineData("registry.ollama.ai/library/*")]
    public void Parse_NotANameOrPattern_Refused(string? entry)
    {
        var (pattern, error) = ModelPattern.Parse(entry);

        Assert.Null(pattern);
        Assert.StartsWith("must ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Allows_EmptyList_AllowsEveryModel()
    {
        Assert.True(ModelAccess.From([]).Allows("anything"));
        Assert.True(ModelAccess.From(null).AllowsAll);
    }

    [Fact]
    public void Allows_StoredEntriesThatNoLongerParse_AllowNothing()
    {
        Assert.False(ModelAccess.From(["not a name"]).Allows("not a name"));
        Assert.False(ModelAccess.From(["not a name"]).AllowsAll);
    }

    [Fact]
    public void Check_DuplicatesByHowTheyMatch_KeptOnceInOrder()
    {
        var (entries, error) = ModelAccess.Check([" llama3 ", "LLAMA3:latest", "qwen2.5:*", "qwen2.5:*"]);

        Assert.Null(error);
        Assert.Equal(["llama3", "qwen2.5:*"], entries!);
    }
}
