namespace OllamaQuota.Core.Data;

/// <summary>Per key, calendar day (in APP_TZ) and model: the roll-up that quota counters are rebuilt from.</summary>
public sealed class UsageDaily
{
    public Guid KeyId { get; set; }
    public DateOnly Day { get; set; }
    public required string Model { get; set; }
    public long Requests { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
}
