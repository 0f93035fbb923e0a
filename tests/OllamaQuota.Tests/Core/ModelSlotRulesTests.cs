using OllamaQuota.Core.Settings;

namespace OllamaQuota.Tests.Core;

public sealed class ModelSlotRulesTests
{
    [Fact]
    public void For_NameAndPatternAndDefault_MostSpecificApplies()
    {
        var rules = ModelSlotRules.FromStored("""{"default":4,"models":{"llama3.2:*":2,"llama3.2:1b":1}}""");

        Assert.Equal(1, rules.For("llama3.2:1b"));
        Assert.Equal(1, rules.For("registry.ollama.ai/library/LLAMA3.2:1b"));
        Assert.Equal(2, rules.For("llama3.2:3b"));
        Assert.Equal(4, rules.For("qwen2.5"));
    }

    [Fact]
    public void For_NoDefault_OtherModelsNotScheduled()
    {
        var rules = ModelSlotRules.FromStored("""{"models":{"llama3":2}}""");

        Assert.Equal(2, rules.For("llama3:latest"));
        Assert.Null(rules.For("qwen2.5"));
        Assert.Null(ModelSlotRules.FromStored(null).For("llama3"));
    }

    [Fact]
    public void ToStored_Parsed_CanonicalAndRoundTrips()
    {
        const string Stored = """{"default":4,"models":{"llama3.2:*":2}}""";

        Assert.Equal(Stored, ModelSlotRules.FromStored(Stored).ToStored());
        Assert.Equal("""{"models":{"llama3":1}}""", ModelSlotRules.FromStored("""{"models":{"llama3":1}}""").ToStored());
        Assert.Null(ModelSlotRules.FromStored("""{"default":null}""").ToStored());
    }
}
