namespace OllamaQuota.Core.Quotas;

/// <summary>A key's counters in one window; tokens include those reserved by requests in flight.</summary>
public readonly record struct WindowCount(long Requests, long Tokens);
