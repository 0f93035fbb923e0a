using Microsoft.Extensions.Configuration;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Tests.Core;

public sealed class SettingsDefaultsTests
{
    [Fact]
    public void FromConfiguration_ValidVariables_SeedsThemNormalised()
    {
        var defaults = SettingsDefaults.FromConfiguration(Configuration(" http://gpu-box:11434/ ", " qwen2.5:0.5b "));

        Assert.Equal(new SettingsDefaults("http://gpu-box:11434", "qwen2.5:0.5b"), defaults);
    }

    [Fact]
    public void FromConfiguration_NothingSet_SeedsTheDefaults()
    {
        Assert.Equal(new SettingsDefaults("http://localhost:11434", "llama3"), SettingsDefaults.FromConfiguration(Configuration(null, null)));
    }

    [Theory]
    [InlineData("gpu-box:11434", "llama3", "OLLAMA_URL must be an absolute")]
    [InlineData("http://gpu-box/a b", "llama3", "OLLAMA_URL must not contain spaces")]
    [InlineData("http://localhost:11434", "llama 3", "DEFAULT_MODEL must be an Ollama model name")]
    [InlineData("http://localhost:11434", "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", "DEFAULT_MODEL must be")]
    public void FromConfiguration_InvalidVariable_FailsNamingIt(string url, string model, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => SettingsDefaults.FromConfiguration(Configuration(url, model)));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(string? url, string? model) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["OLLAMA_URL"] = url, ["DEFAULT_MODEL"] = model })
        .Build();
}
