using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// One multiplexed, pipelined connection to Redis, shared by any number of concurrent callers. It reconnects on its own
/// with capped exponential backoff; while it is down, commands wait for it at most their timeout and then fail.
/// Blocking commands (BLPOP, XREADGROUP … BLOCK) hold up every other caller: give them a connection of their own.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly RedisConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly Action<RespValue>? _pushHandler;
    private readonly Func<RedisSession, CancellationToken, Task>? _onConnected;
    private readonly Lock _stateLock = new();
    private readonly CancellationTokenSource _disposeCts = new();

    // Invariant under _stateLock: _session is null exactly while _connected is incomplete (until disposal).
    private volatile RedisSession? _session;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<Exception> _attemptFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _connectLoop = Task.CompletedTask;
    private bool _connecting;
    private Exception? _lastError;
    private volatile bool _disposed;

    public RedisConnection(RedisConnectionOptions options, ILogger<RedisConnection>? logger = null)
        : this(options, logger, pushHandler: null, onConnected: null)
    {
    }

    internal RedisConnection(
        RedisConnectionOptions options,
        ILogger? logger,
        Action<RespValue>? pushHandler,
        Func<RedisSession, CancellationToken, Task>? onConnected)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // A private copy: the caller mutating its options must not change a live connection.
        _options = options.Clone();
        _logger = logger ?? NullLogger.Instance;
        _pushHandler = pushHandler;
        _onConnected = onConnected;
    }

    public RedisConnectionOptions Options => _options.Clone();

    public bool IsConnected => _session is not null;

    /// <summary>Creates a connection and waits for it to be established (see <see cref="ConnectAsync(CancellationToken)"/>).</summary>
    public static async Task<RedisConnection> ConnectAsync(
        RedisConnectionOptions options,
        ILogger<RedisConnection>? logger = null,
        CancellationToken cancellationToken = default)
    {
        var connection = new RedisConnection(options, logger);
        try
        {
            await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Connects if not connected. Returns once connected; if the first attempt fails it throws when
    /// <see cref="RedisConnectionOptions.AbortOnConnectFail"/> is set and otherwise returns while retrying in the background.
    /// Calling it is optional: the first command connects too.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Task connected;
        Task<Exception> failed;
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_session is not null)
            {
                return;
            }

            connected = _connected.Task;
            failed = _attemptFailed.Task;
            EnsureConnectingLocked();
        }

        var first = await Task.WhenAny(connected, failed).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (first == failed && !connected.IsCompleted && _options.AbortOnConnectFail)
        {
            var error = await failed.ConfigureAwait(false);
            throw new RedisConnectionException($"Could not connect to Redis at {_options.Endpoint}: {error.Message}", error);
        }
    }

    /// <summary>Sends any command and returns its raw reply; an error reply throws <see cref="RedisServerException"/>.</summary>
    public Task<RespValue> ExecuteAsync(string command, params ReadOnlySpan<RedisArgument> args) =>
        ExecuteAsync(command, args, _options.CommandTimeout, CancellationToken.None);

    /// <inheritdoc cref="ExecuteAsync(string, ReadOnlySpan{RedisArgument})"/>
    public Task<RespValue> ExecuteAsync(string command, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken) =>
        ExecuteAsync(command, args, _options.CommandTimeout, cancellationToken);

    /// <summary>
    /// Sends any command with its own timeout, e.g. longer than the BLOCK of an XREADGROUP on a dedicated connection.
    /// Cancelling or timing out only abandons the wait: the command may still run on the server.
    /// </summary>
    public Task<RespValue> ExecuteAsync(string command, ReadOnlySpan<RedisArgument> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<RespValue>(cancellationToken);
        }

        // Measuring first also validates every argument before anything reaches the wire.
        var length = RespWriter.GetCommandLength(command, args);
        var pending = new PendingCommand(command, timeout, RedisTelemetry.StartCommand(command, _options), cancellationToken);
        var session = _session;
        if (session is not null && session.TryWrite(pending, command, args, length))
        {
            return pending.Task;
        }

        // Not connected: the caller's span does not survive waiting for a connection, so keep a serialised copy.
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        RespWriter.WriteCommand(buffer, command, args);
        return SendWhenConnectedAsync(pending, buffer, length, cancellationToken);
    }

    /// <summary>
    /// Runs a Lua script by SHA (<c>EVALSHA</c>). When the server does not have it cached (<c>NOSCRIPT</c>: restart,
    /// failover, <c>SCRIPT FLUSH</c>) the script is loaded and the call retried once.
    /// </summary>
    public Task<RespValue> EvaluateAsync(
        RedisScript script,
        ReadOnlySpan<RedisArgument> keys,
        ReadOnlySpan<RedisArgument> args,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Serialised once into a pooled buffer, because the NOSCRIPT retry resends it after the caller's spans are gone.
        var count = 2 + keys.Length + args.Length;
        var parts = ArrayPool<RedisArgument>.Shared.Rent(count);
        byte[] buffer;
        int length;
        try
        {
            parts[0] = script.Sha1;
            parts[1] = keys.Length;
            keys.CopyTo(parts.AsSpan(2));
            args.CopyTo(parts.AsSpan(2 + keys.Length));
            var all = parts.AsSpan(0, count);
            length = RespWriter.GetCommandLength("EVALSHA", all);
            buffer = ArrayPool<byte>.Shared.Rent(length);
            RespWriter.WriteCommand(buffer, "EVALSHA", all);
        }
        finally
        {
            parts.AsSpan(0, count).Clear();
            ArrayPool<RedisArgument>.Shared.Return(parts);
        }

        return EvaluateCoreAsync(script, buffer, length, cancellationToken);
    }

    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await ExecuteAsync("PING", [], cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Publishes on the main connection; returns how many subscribers received the message.</summary>
    public async Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(message);
        var reply = await ExecuteAsync("PUBLISH", [channel, message], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    public async ValueTask DisposeAsync()
    {
        RedisSession? session;
        lock (_stateLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            session = _session;
            _session = null;

            // Wakes callers waiting for a connection; they see the disposal and fail.
            _connected.TrySetResult();
        }

        await _disposeCts.CancelAsync().ConfigureAwait(false);
        if (session is not null)
        {
            session.Fail(new RedisConnectionException($"The connection to Redis at {_options.Endpoint} was disposed."));
            await session.Completion.ConfigureAwait(false);
            RedisLog.Disconnected(_logger, _options.Endpoint);
        }

        await _connectLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _disposeCts.Dispose();
    }

    /// <summary>Writes a command whose answer comes as a push (SUBSCRIBE), waiting for a connection at most the command timeout.</summary>
    internal async Task SendNoReplyAsync(string command, RedisArgument[] args, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)_options.CommandTimeout.TotalMilliseconds;
        while (true)
        {
            var session = await WaitForSessionAsync(deadline, _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (session.TryWriteNoReply(command, args))
            {
                return;
            }
        }
    }

    private async Task<RespValue> EvaluateCoreAsync(RedisScript script, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await SendSerialized("EVALSHA", buffer, length, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.ErrorCode == "NOSCRIPT")
            {
                RedisLog.ScriptReloaded(_logger, script.ToString());
                var loaded = await ExecuteAsync("SCRIPT", ["LOAD", script.Lua], cancellationToken).ConfigureAwait(false);
                if (!string.Equals(loaded.AsString(), script.Sha1, StringComparison.OrdinalIgnoreCase))
                {
                    throw new RedisException($"SCRIPT LOAD of {script.Name} returned SHA {loaded.AsString()}, expected {script.Sha1}.");
                }

                return await SendSerialized("EVALSHA", buffer, length, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Task<RespValue> SendSerialized(string command, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<RespValue>(cancellationToken);
        }

        var pending = new PendingCommand(command, _options.CommandTimeout, RedisTelemetry.StartCommand(command, _options), cancellationToken);
        var session = _session;
        if (session is not null && session.TryWrite(pending, buffer.AsSpan(0, length)))
        {
            return pending.Task;
        }

        return WaitAndSendAsync(pending, buffer, length, cancellationToken);
    }

    private async Task<RespValue> SendWhenConnectedAsync(PendingCommand pending, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            return await WaitAndSendAsync(pending, buffer, length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<RespValue> WaitAndSendAsync(PendingCommand pending, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        while (!pending.Task.IsCompleted)
        {
            RedisSession session;
            try
            {
                session = await WaitForSessionAsync(pending.Deadline, pending.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                pending.Fail(ex);
                break;
            }

            if (session.TryWrite(pending, buffer.AsSpan(0, length)))
            {
                break;
            }
        }

        return await pending.Task.ConfigureAwait(false);
    }

    private async Task<RedisSession> WaitForSessionAsync(long deadline, TimeSpan timeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task connected;
            lock (_stateLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_session is { } session)
                {
                    return session;
                }

                EnsureConnectingLocked();
                connected = _connected.Task;
            }

            var remaining = deadline - Environment.TickCount64;
            try
            {
                if (remaining <= 0)
                {
                    throw new TimeoutException();
                }

                await connected.WaitAsync(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var lastError = Volatile.Read(ref _lastError);
                var reason = lastError is null ? string.Empty : $" Last error: {lastError.Message}";
                throw new RedisConnectionException(
                    $"No connection to Redis at {_options.Endpoint} within {timeout.TotalMilliseconds:0} ms.{reason}", lastError);
            }
        }
    }

    private void EnsureConnectingLocked()
    {
        if (_connecting || _session is not null || _disposed)
        {
            return;
        }

        _connecting = true;
        _connectLoop = Task.Run(ConnectLoopAsync);
    }

    private async Task ConnectLoopAsync()
    {
        var token = _disposeCts.Token;
        for (var attempt = 1; ; attempt++)
        {
            RedisLog.Connecting(_logger, _options.Endpoint, attempt);
            try
            {
                var session = await EstablishAsync(token).ConfigureAwait(false);
                lock (_stateLock)
                {
                    if (!_disposed)
                    {
                        _session = session;
                        _connecting = false;
                        _lastError = null;
                        _connected.TrySetResult();
                    }
                }

                if (_disposed)
                {
                    session.Fail(new RedisConnectionException("The connection was disposed while connecting."));
                    return;
                }

                RedisLog.Connected(_logger, _options.Endpoint, _options.Database, _options.UseTls, attempt);
                return;
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                var delay = Backoff(attempt);
                TaskCompletionSource<Exception> failed;
                lock (_stateLock)
                {
                    _lastError = ex;
                    failed = _attemptFailed;
                    _attemptFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                failed.TrySetResult(ex);
                RedisLog.ConnectFailed(_logger, _options.Endpoint, attempt, (long)delay.TotalMilliseconds, ex);
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception)
            {
                // Disposed while connecting.
                return;
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        // Capped exponential with ±20 % jitter so many proxies do not reconnect to a recovering Redis in lockstep.
        var exponential = _options.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = Math.Min(exponential, _options.ReconnectMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private async Task<RedisSession> EstablishAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        Stream stream;
        try
        {
            stream = await RedisStreamFactory.OpenAsync(_options, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RedisConnectionException(
                $"Timed out after {_options.ConnectTimeout.TotalMilliseconds:0} ms connecting to Redis at {_options.Endpoint}.");
        }

        var session = new RedisSession(stream, _options, _logger, _pushHandler, OnSessionFaulted);
        session.Start();
        try
        {
            await HandshakeAsync(session, timeout.Token).ConfigureAwait(false);
            if (_onConnected is not null)
            {
                await _onConnected(session, timeout.Token).ConfigureAwait(false);
            }

            return session;
        }
        catch (Exception ex)
        {
            session.Fail(ex);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new RedisConnectionException($"Timed out setting up the connection to Redis at {_options.Endpoint}.", ex);
            }

            throw;
        }
    }

    private async Task HandshakeAsync(RedisSession session, CancellationToken cancellationToken)
    {
        // Pipelined: AUTH, SELECT and SETNAME go out together and cost one round trip.
        Task<RespValue>? auth = null;
        Task<RespValue>? select = null;
        Task<RespValue>? setName = null;
        if (_options.Password is not null)
        {
            auth = _options.User is null
                ? SendDuringHandshake(session, "AUTH", [_options.Password])
                : SendDuringHandshake(session, "AUTH", [_options.User, _options.Password]);
        }

        if (_options.Database != 0)
        {
            select = SendDuringHandshake(session, "SELECT", [_options.Database]);
        }

        if (!string.IsNullOrWhiteSpace(_options.ClientName))
        {
            // Redis rejects spaces in client names.
            setName = SendDuringHandshake(session, "CLIENT", ["SETNAME", _options.ClientName.Replace(' ', '-')]);
        }

        try
        {
            if (auth is not null)
            {
                await auth.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (select is not null)
            {
                await select.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RedisServerException ex)
        {
            var step = auth is { IsFaulted: true } ? "AUTH" : "SELECT";
            throw new RedisConnectionException($"Redis at {_options.Endpoint} rejected {step}: {ex.Message}", ex);
        }

        if (setName is not null)
        {
            try
            {
                await setName.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException)
            {
                // A restricted ACL user may not be allowed to name itself; the name is only a convenience.
            }
        }
    }

    private Task<RespValue> SendDuringHandshake(RedisSession session, string command, ReadOnlySpan<RedisArgument> args)
    {
        var pending = new PendingCommand(command, _options.CommandTimeout, activity: null, CancellationToken.None);
        var length = RespWriter.GetCommandLength(command, args);
        if (!session.TryWrite(pending, command, args, length))
        {
            pending.Fail(new RedisConnectionException($"The connection to Redis at {_options.Endpoint} dropped during setup."));
        }

        // When AUTH fails the later steps fail too and nobody awaits them; observe them so they do not surface as unobserved.
        pending.Task.ContinueWith(
            static task => _ = task.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return pending.Task;
    }

    private void OnSessionFaulted(RedisSession session, RedisConnectionException error, int inFlight)
    {
        lock (_stateLock)
        {
            // Handshake sessions were never published; their failure surfaces through EstablishAsync instead.
            if (!ReferenceEquals(_session, session))
            {
                return;
            }

            _session = null;
            _lastError = error;
            _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
            EnsureConnectingLocked();
        }

        RedisLog.ConnectionLost(_logger, _options.Endpoint, inFlight, error);
    }
}
