namespace OllamaQuota.Proxy.Requests;

/// <summary>What the guardrails change in a body before it goes to Ollama (see <see cref="RequestGuardrails"/>).</summary>
/// <param name="KeepAliveSeconds">The keep_alive to send instead of the client's, in seconds.</param>
/// <param name="NumCtx">The options.num_ctx to send instead of the client's (or as well, when it sent none).</param>
/// <param name="DropLoadOptions">Whether options holds load-time options to leave out.</param>
public sealed record BodyChanges(long? KeepAliveSeconds, long? NumCtx, bool DropLoadOptions)
{
    public bool IsEmpty => KeepAliveSeconds is null && NumCtx is null && !DropLoadOptions;
}

/// <summary>A request the guardrails refuse: 400 for a limit exceeded or a field they cannot read, 403 for an unload.</summary>
public sealed record GuardrailRefusal(int Status, string Message, string? Param, string? Code);
