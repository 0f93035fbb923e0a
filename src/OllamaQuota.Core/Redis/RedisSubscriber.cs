using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// Pub/sub on a connection of its own (a subscribed connection can run no other commands). Subscriptions survive
/// reconnects: every channel is subscribed again before the new connection is used. Messages published while the
/// connection is down are lost, as Redis pub/sub is fire-and-forget; callers needing more keep a TTL backstop.
/// </summary>
public sealed class RedisSubscriber : IAsyncDisposable
{
    private readonly RedisConnection _connection;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _keepAliveInterval;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Action<string>[]> _handlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _confirmations = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _keepAlive = Task.CompletedTask;
    private int _keepAliveStarted;

    public RedisSubscriber(RedisConnectionOptions options, ILogger<RedisSubscriber>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var subscriberOptions = options.Clone();
        subscriberOptions.ClientName = options.ClientName is null ? null : options.ClientName + "-sub";
        _logger = logger ?? NullLogger<RedisSubscriber>.Instance;
        _timeout = options.CommandTimeout;
        _keepAliveInterval = options.KeepAliveInterval;
        _connection = new RedisConnection(subscriberOptions, _logger, OnPush, ResubscribeAsync);
    }

    public bool IsConnected => _connection.IsConnected;

    /// <summary>
    /// Adds <paramref name="handler"/> for <paramref name="channel"/> and returns once Redis has confirmed the
    /// subscription. Handlers run on the connection's reader loop, in order: keep them short and non-blocking.
    /// If the subscription cannot be confirmed within the command timeout, the handler is removed and this throws.
    /// </summary>
    public async Task SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(handler);

        TaskCompletionSource? confirmation;
        bool firstForChannel;
        lock (_lock)
        {
            firstForChannel = !_handlers.TryGetValue(channel, out var existing);
            _handlers[channel] = existing is null ? [handler] : [.. existing, handler];
            if (firstForChannel)
            {
                confirmation = new(TaskCreationOptions.RunContinuationsAsynchronously);
                _confirmations[channel] = confirmation;
            }
            else
            {
                _confirmations.TryGetValue(channel, out confirmation);
            }
        }

        StartKeepAlive();
        if (confirmation is null)
        {
            return;
        }

        try
        {
            if (firstForChannel)
            {
                await _connection.SendNoReplyAsync("SUBSCRIBE", [channel], cancellationToken).ConfigureAwait(false);
            }

            await confirmation.Task.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            RedisLog.Subscribed(_logger, channel);
        }
        catch (Exception ex)
        {
            RemoveHandler(channel, handler);
            if (ex is TimeoutException)
            {
                throw new RedisTimeoutException($"Redis did not confirm the subscription to '{channel}' within {_timeout.TotalMilliseconds:0} ms.", ex);
            }

            throw;
        }
    }

    /// <summary>Removes every handler of <paramref name="channel"/> and tells Redis, if connected, to stop sending it.</summary>
    public async Task UnsubscribeAsync(string channel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        lock (_lock)
        {
            if (!_handlers.Remove(channel))
            {
                return;
            }

            _confirmations.Remove(channel);
        }

        try
        {
            await _connection.SendNoReplyAsync("UNSUBSCRIBE", [channel], cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException)
        {
            // Disconnected: the next connection will not subscribe to it again, which is all that matters.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _keepAlive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void RemoveHandler(string channel, Action<string> handler)
    {
        lock (_lock)
        {
            if (!_handlers.TryGetValue(channel, out var existing))
            {
                return;
            }

            var remaining = Array.FindAll(existing, h => h != handler);
            if (remaining.Length == 0)
            {
                _handlers.Remove(channel);
                _confirmations.Remove(channel);
            }
            else
            {
                _handlers[channel] = remaining;
            }
        }
    }

    private void OnPush(RespValue push)
    {
        var items = push.AsArray();
        if (items.Length < 2)
        {
            return;
        }

        var channel = items[1].AsString();
        if (channel is null)
        {
            return;
        }

        if (items[0].IsText("message"u8) && items.Length >= 3)
        {
            Action<string>[]? handlers;
            lock (_lock)
            {
                _handlers.TryGetValue(channel, out handlers);
            }

            var message = items[2].AsString() ?? string.Empty;
            foreach (var handler in handlers ?? [])
            {
                try
                {
                    handler(message);
                }
                catch (Exception ex)
                {
                    // One faulty handler must not take down the reader loop and with it every other subscription.
                    RedisLog.HandlerFailed(_logger, channel, ex);
                }
            }
        }
        else if (items[0].IsText("subscribe"u8))
        {
            TaskCompletionSource? confirmation;
            lock (_lock)
            {
                _confirmations.Remove(channel, out confirmation);
            }

            confirmation?.TrySetResult();
        }
    }

    // Runs on every new connection before it is used, so no message published after it is subscribed can be missed.
    private Task ResubscribeAsync(RedisSession session, CancellationToken cancellationToken)
    {
        RedisArgument[] channels;
        lock (_lock)
        {
            channels = [.. _handlers.Keys.Select(channel => (RedisArgument)channel)];
        }

        if (channels.Length == 0)
        {
            return Task.CompletedTask;
        }

        RedisLog.Resubscribing(_logger, channels.Length);
        if (!session.TryWriteNoReply("SUBSCRIBE", channels))
        {
            throw new RedisConnectionException("The subscriber connection dropped while resubscribing.");
        }

        return Task.CompletedTask;
    }

    private void StartKeepAlive()
    {
        if (Interlocked.Exchange(ref _keepAliveStarted, 1) == 0)
        {
            _keepAlive = KeepAliveLoopAsync(_stop.Token);
        }
    }

    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        // An idle subscribed connection would not notice a half-open link; a PING that goes unanswered makes it reconnect.
        using var timer = new PeriodicTimer(_keepAliveInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await _connection.ExecuteAsync("PING", [], cancellationToken).ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                RedisLog.KeepAliveFailed(_logger, ex);
            }
        }
    }
}
