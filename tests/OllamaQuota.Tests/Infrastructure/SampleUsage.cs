using OllamaQuota.Core.Data;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>Usage events for the tests of the writers and the store, where only the model and the id matter.</summary>
public static class SampleUsage
{
    public static UsageEvent Event(string model = "llama3") => new()
    {
        Id = Guid.CreateVersion7(),
        KeyId = Guid.NewGuid(),
        Model = model,
        Endpoint = "/api/chat",
        PromptTokens = 12,
        CompletionTokens = 20,
        StatusCode = 200,
        DurationMs = 5,
        CreatedAt = DateTime.UtcNow,
    };
}
