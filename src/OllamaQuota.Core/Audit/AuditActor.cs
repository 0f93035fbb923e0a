namespace OllamaQuota.Core.Audit;

/// <summary>Who makes a change and from where.</summary>
public sealed record AuditActor(string Name, string? Address)
{
    public static readonly AuditActor CommandLine = new("cli", null);
}
