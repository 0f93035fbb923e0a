namespace OllamaQuota.Proxy.Requests;

/// <summary>Where a client states its completion maximum, and so where the proxy writes the allowance.</summary>
public enum CompletionLimitField
{
    NumPredict,
    MaxTokens,
    MaxCompletionTokens,
}

/// <summary>What the proxy needs to know of a request body; the rest passes through untouched.</summary>
/// <param name="Model">The model named, or the default model when none was.</param>
/// <param name="ModelDefaulted">True when the body named no model and the default must be written in.</param>
/// <param name="PromptTokens">The prompt's cl100k count, or for a large prompt its bound (<see cref="PromptIsBound"/>).</param>
/// <param name="ProxyAsksUsage">
/// An OpenAI completion stream whose client did not ask for the usage chunk: the proxy asks for it upstream (to meter
/// the request) and removes it from the stream the client sees.
/// </param>
public sealed record ParsedRequest(
    string Model,
    bool ModelDefaulted,
    bool Stream,
    long PromptTokens,
    long? RequestedCompletionTokens,
    CompletionLimitField LimitField,
    bool ProxyAsksUsage)
{
    /// <summary>
    /// True when <see cref="PromptTokens"/> is a bound of a large prompt (never below its exact count) rather than the
    /// count: the pipeline counts exactly where the bound could decide otherwise, and where the count is charged
    /// (<see cref="RequestParser.CountPromptExactly"/>).
    /// </summary>
    public bool PromptIsBound { get; init; }
}

/// <summary>A body the proxy refuses (400), naming the offending field.</summary>
public sealed record RequestError(string Message, string? Param);
