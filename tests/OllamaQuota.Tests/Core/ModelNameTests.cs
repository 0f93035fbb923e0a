using OllamaQuota.Core.Data;
using OllamaQuota.Core.Models;

namespace OllamaQuota.Tests.Core;

public sealed class ModelNameTests
{
    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen2.5:0.5b")]
    [InlineData("Llama-3.2-1B_Instruct")]
    [InlineData("_private")]
    [InlineData("library/llama3:latest")]
    [InlineData("registry.ollama.ai/library/llama3:latest")]
    [InlineData("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")]
    [InlineData("localhost:5000/team/model_x:v1.2")]
    [InlineData("llama3@sha256:8eeb52dfb3bb9aefdf9d1ef24b3bdbcfbe82238798c4b918278320b6fcef18fe")]
    [InlineData("team/model:tag@sha256-abc")]
    public void IsValid_OllamaName_True(string name) => Assert.True(ModelName.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData(" llama3")]
    [InlineData("llama 3")]
    [InlineData("llama3\0")]
    [InlineData("llama3\n")]
    [InlineData("lläma3")]
    [InlineData("-llama3")]
    [InlineData(".hidden")]
    [InlineData("../../etc/passwd")]
    [InlineData("a/../b")]
    [InlineData("team.name/model")]
    [InlineData("a/b/c/d")]
    [InlineData("/llama3")]
    [InlineData("llama3/")]
    [InlineData("llama3:")]
    [InlineData(":latest")]
    [InlineData("llama3:a:b")]
    [InlineData("llama3:t@")]
    [InlineData("@sha256:abc")]
    [InlineData("llama3@sha256:a.b")]
    [InlineData("llama3?x=1")]
    [InlineData("llama3#x")]
    [InlineData("llama3\\x")]
    public void IsValid_NotAnOllamaName_False(string name) => Assert.False(ModelName.IsValid(name));

    [Fact]
    public void IsValid_PartOf80Characters_TrueAnd81False()
    {
        Assert.True(ModelName.IsValid(new string('m', 80)));
        Assert.False(ModelName.IsValid(new string('m', 81)));
        Assert.True(ModelName.IsValid("m:" + new string('t', 80)));
        Assert.False(ModelName.IsValid("m:" + new string('t', 81)));
        Assert.False(ModelName.IsValid(new string('n', 81) + "/m"));
    }

    [Fact]
    public void IsValid_WholeNameAtTheColumnLength_TrueAndOneMoreFalse()
    {
        var host = new string('h', ColumnLengths.Model - 80 - 1 - 80 - 1 - 10);
        var name = $"{host}/{new string('n', 80)}/{new string('m', 80)}:{new string('t', 9)}";

        Assert.Equal(ColumnLengths.Model, name.Length);
        Assert.True(ModelName.IsValid(name));
        Assert.False(ModelName.IsValid(name + "t"));
    }
}
