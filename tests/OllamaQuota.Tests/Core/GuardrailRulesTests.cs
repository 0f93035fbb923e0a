using System.Text.Json;
using OllamaQuota.Core.Settings;

namespace OllamaQuota.Tests.Core;

public sealed class GuardrailRulesTests
{
    [Theory]
    [InlineData("\"5m\"", 300.0)]
    [InlineData("\"1h30m\"", 5400.0)]
    [InlineData("\"1.5h\"", 5400.0)]
    [InlineData("\"300ms\"", 0.3)]
    [InlineData("\"0\"", 0.0)]
    [InlineData("\"0s\"", 0.0)]
    [InlineData("\"-1m\"", -1.0)]
    [InlineData("90", 90.0)]
    [InlineData("90.9", 90.0)]
    [InlineData("0.5", 0.0)]
    [InlineData("-5", -1.0)]
    public void Seconds_DurationOrNumber_AsOllamaReadsIt(string json, double seconds)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(seconds, OllamaDuration.Seconds(document.RootElement)!.Value, 6);
    }

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("\"5 minutes\"")]
    [InlineData("\"m\"")]
    [InlineData("\"\"")]
    [InlineData("\"5d\"")]
    [InlineData("true")]
    [InlineData("[]")]
    public void Seconds_NeitherForm_Null(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(OllamaDuration.Seconds(document.RootElement));
    }

    [Theory]
    [InlineData("llama3", null, 4096L)]
    [InlineData("llama3:latest", null, 4096L)]
    [InlineData("llama3.2:1b", 2048L, null)]
    [InlineData("llama3.2:1b-instruct", 1024L, null)]
    [InlineData("mistral", 8192L, null)]
    public void For_SeveralRulesMatch_MostSpecificApplies(string model, long? max, long? fixedSize)
    {
        var rules = NumCtxRules.FromStored("""
            {"default":{"max":8192},"models":{"llama3":{"fixed":4096},"llama3*":{"max":2048},"llama3.2:*-instruct":{"max":1024}}}
            """);

        Assert.Equal(new NumCtxRule(max, fixedSize), rules.For(model));
    }

    [Fact]
    public void ToStored_ParsedRules_RoundTrips()
    {
        const string Stored = """{"default":{"max":8192},"models":{"qwen2.5:*":{"fixed":2048}}}""";

        Assert.Equal(Stored, NumCtxRules.FromStored(Stored).ToStored());
        Assert.Null(NumCtxRules.FromStored(null).ToStored());
    }
}
