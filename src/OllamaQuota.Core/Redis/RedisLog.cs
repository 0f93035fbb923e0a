using Microsoft.Extensions.Logging;

namespace OllamaQuota.Core.Redis;

/// <summary>Source-generated log messages of the Redis client; event ids 5100–5199 belong to it.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Connected to Redis at {Endpoint} (db {Database}, TLS {Tls}) after {Attempts} attempt(s)")]
    public static partial void Connected(ILogger logger, string endpoint, int database, bool tls, int attempts);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Connection to Redis at {Endpoint} lost; {Pending} command(s) in flight failed")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, int pending, Exception exception);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Connecting to Redis at {Endpoint} failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, int attempt, long delayMs, Exception exception);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Connecting to Redis at {Endpoint} (attempt {Attempt})")]
    public static partial void Connecting(ILogger logger, string endpoint, int attempt);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Disconnected from Redis at {Endpoint}")]
    public static partial void Disconnected(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "Redis at {Endpoint} sent nothing for {SilentMs} ms with commands in flight; dropping the connection")]
    public static partial void Unresponsive(ILogger logger, string endpoint, long silentMs);

    [LoggerMessage(EventId = 5110, Level = LogLevel.Information, Message = "Redis script {Script} was not cached on the server (NOSCRIPT); loaded it and retrying")]
    public static partial void ScriptReloaded(ILogger logger, string script);

    [LoggerMessage(EventId = 5120, Level = LogLevel.Debug, Message = "Subscribed to Redis channel {Channel}")]
    public static partial void Subscribed(ILogger logger, string channel);

    [LoggerMessage(EventId = 5121, Level = LogLevel.Information, Message = "Resubscribing to {Count} Redis channel(s) after connecting")]
    public static partial void Resubscribing(ILogger logger, int count);

    [LoggerMessage(EventId = 5122, Level = LogLevel.Error, Message = "Handler for Redis channel {Channel} threw")]
    public static partial void HandlerFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(EventId = 5123, Level = LogLevel.Debug, Message = "Keep-alive PING on the Redis subscriber connection failed")]
    public static partial void KeepAliveFailed(ILogger logger, Exception exception);
}
