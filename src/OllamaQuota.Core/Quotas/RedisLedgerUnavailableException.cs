namespace OllamaQuota.Core.Quotas;

/// <summary>
/// Under <see cref="QuotaFailMode.Closed"/>, a reserve that could not reach Redis: the proxy answers 503 and forwards
/// nothing, since a request it cannot count must not be served.
/// </summary>
public sealed class RedisLedgerUnavailableException : Exception
{
    public const string ClientMessage =
        "Quota checks are temporarily unavailable (the quota store cannot be reached), so the request was not forwarded. Try again shortly.";

    public RedisLedgerUnavailableException()
        : base(ClientMessage)
    {
    }

    public RedisLedgerUnavailableException(string message)
        : base(message)
    {
    }

    public RedisLedgerUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
