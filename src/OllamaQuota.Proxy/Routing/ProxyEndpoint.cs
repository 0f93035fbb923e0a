namespace OllamaQuota.Proxy.Routing;

/// <summary>Which API a caller used: errors answer in its style.</summary>
public enum ApiStyle
{
    Ollama,
    OpenAi,
}

public enum EndpointKind
{
    Generate,
    Chat,
    Embed,
    LegacyEmbeddings,
    Show,
    Tags,
    Version,
    Models,
    ChatCompletions,
    Completions,
    Embeddings,
}

/// <summary>One route the proxy serves. Metered routes reach a model: they are reserved, settled and recorded.</summary>
public sealed record ProxyEndpoint(string Path, ApiStyle Style, EndpointKind Kind)
{
    public bool Metered => Kind is EndpointKind.Generate or EndpointKind.Chat or EndpointKind.Embed or EndpointKind.LegacyEmbeddings
        or EndpointKind.ChatCompletions or EndpointKind.Completions or EndpointKind.Embeddings;

    public bool GeneratesText => Kind is EndpointKind.Generate or EndpointKind.Chat or EndpointKind.ChatCompletions or EndpointKind.Completions;

    /// <summary>Whether the request carries a JSON body the proxy reads (all POST routes).</summary>
    public bool HasBody => Metered || Kind == EndpointKind.Show;

    /// <summary>Ollama streams unless told not to; the OpenAI API does not unless told to.</summary>
    public bool StreamsByDefault => Style == ApiStyle.Ollama && Kind is EndpointKind.Generate or EndpointKind.Chat;

    public static readonly ProxyEndpoint Generate = new("/api/generate", ApiStyle.Ollama, EndpointKind.Generate);
    public static readonly ProxyEndpoint Chat = new("/api/chat", ApiStyle.Ollama, EndpointKind.Chat);
    public static readonly ProxyEndpoint Embed = new("/api/embed", ApiStyle.Ollama, EndpointKind.Embed);
    public static readonly ProxyEndpoint LegacyEmbeddings = new("/api/embeddings", ApiStyle.Ollama, EndpointKind.LegacyEmbeddings);
    public static readonly ProxyEndpoint Show = new("/api/show", ApiStyle.Ollama, EndpointKind.Show);
    public static readonly ProxyEndpoint Tags = new("/api/tags", ApiStyle.Ollama, EndpointKind.Tags);
    public static readonly ProxyEndpoint Version = new("/api/version", ApiStyle.Ollama, EndpointKind.Version);
    public static readonly ProxyEndpoint Models = new("/v1/models", ApiStyle.OpenAi, EndpointKind.Models);
    public static readonly ProxyEndpoint ChatCompletions = new("/v1/chat/completions", ApiStyle.OpenAi, EndpointKind.ChatCompletions);
    public static readonly ProxyEndpoint Completions = new("/v1/completions", ApiStyle.OpenAi, EndpointKind.Completions);
    public static readonly ProxyEndpoint Embeddings = new("/v1/embeddings", ApiStyle.OpenAi, EndpointKind.Embeddings);
}
