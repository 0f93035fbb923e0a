using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// One physical connection: a single writer pump, a single reader loop, and the FIFO of commands awaiting replies.
/// Callers serialise straight into the outgoing pipe and enqueue under one lock, so the order of bytes on the wire and
/// the order of the FIFO cannot diverge. Once faulted a session is never reused; the connection builds a new one.
/// </summary>
internal sealed class RedisSession
{
    private static readonly TimerCallback TimerTick = static state => ((RedisSession)state!).OnTimer();

    private readonly Stream _stream;
    private readonly RedisConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly Action<RespValue>? _pushHandler;
    private readonly Action<RedisSession, RedisConnectionException, int> _onFaulted;

    // pauseWriterThreshold 0: flushing never waits, so it can happen under the lock. Growth is bounded by command timeouts.
    private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly PipeReader _input;
    private readonly Queue<PendingCommand> _pending = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _shutdown = new();
    private Timer? _timer;
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;
    private long _lastReceived;
    private bool _faulted;

    public RedisSession(
        Stream stream,
        RedisConnectionOptions options,
        ILogger logger,
        Action<RespValue>? pushHandler,
        Action<RedisSession, RedisConnectionException, int> onFaulted)
    {
        _stream = stream;
        _options = options;
        _logger = logger;
        _pushHandler = pushHandler;
        _onFaulted = onFaulted;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
    }

    /// <summary>Completes when both loops have stopped after a failure or shutdown.</summary>
    public Task Completion => Task.WhenAll(_readLoop, _writeLoop);

    public void Start()
    {
        _lastReceived = Environment.TickCount64;
        _readLoop = ReadLoopAsync();
        _writeLoop = WriteLoopAsync();

        // One coarse timer per connection instead of one per command; a timeout fires within one period of its deadline.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(_options.CommandTimeout.TotalMilliseconds / 10, 10, 100));
        _timer = new Timer(TimerTick, this, period, period);
    }

    public bool TryWrite(PendingCommand pending, string command, ReadOnlySpan<RedisArgument> args, int length)
    {
        lock (_lock)
        {
            if (_faulted)
            {
                return false;
            }

            var written = RespWriter.WriteCommand(_output.Writer.GetSpan(length), command, args);
            _output.Writer.Advance(written);
            EnqueueAndFlush(pending);
        }

        return true;
    }

    public bool TryWrite(PendingCommand pending, ReadOnlySpan<byte> serialized)
    {
        lock (_lock)
        {
            if (_faulted)
            {
                return false;
            }

            _output.Writer.Write(serialized);
            EnqueueAndFlush(pending);
        }

        return true;
    }

    /// <summary>Writes a command whose replies arrive as pushes (SUBSCRIBE, UNSUBSCRIBE), so nothing waits in the FIFO.</summary>
    public bool TryWriteNoReply(string command, ReadOnlySpan<RedisArgument> args)
    {
        var length = RespWriter.GetCommandLength(command, args);
        lock (_lock)
        {
            if (_faulted)
            {
                return false;
            }

            var written = RespWriter.WriteCommand(_output.Writer.GetSpan(length), command, args);
            _output.Writer.Advance(written);
            Flush();
        }

        return true;
    }

    /// <summary>Fails every command in flight and closes the socket. Safe to call more than once and from any thread.</summary>
    public void Fail(Exception reason)
    {
        PendingCommand[] inFlight;
        lock (_lock)
        {
            if (_faulted)
            {
                return;
            }

            _faulted = true;
            inFlight = _pending.ToArray();
            _pending.Clear();

            // Under the lock: no caller can be writing into the pipe at the same time.
            _output.Writer.Complete();
        }

        _timer?.Dispose();
        _shutdown.Cancel();
        _stream.Dispose();

        var error = reason as RedisConnectionException
                    ?? new RedisConnectionException($"Connection to Redis at {_options.Endpoint} failed: {reason.Message}", reason);
        foreach (var pending in inFlight)
        {
            pending.Fail(new RedisConnectionException(error.Message, error));
        }

        _onFaulted(this, error, inFlight.Length);
    }

    private void EnqueueAndFlush(PendingCommand pending)
    {
        pending.SentAt = Environment.TickCount64;
        _pending.Enqueue(pending);
        Flush();
    }

    private void Flush()
    {
        // Completes synchronously (no back-pressure); it only wakes the writer pump, which batches whatever has piled up.
        var flush = _output.Writer.FlushAsync(CancellationToken.None);
        if (flush.IsCompleted)
        {
            flush.GetAwaiter().GetResult();
        }
        else
        {
            _ = flush.AsTask();
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await _stream.WriteAsync(buffer.First, _shutdown.Token).ConfigureAwait(false);
                }
                else
                {
                    foreach (var segment in buffer)
                    {
                        await _stream.WriteAsync(segment, _shutdown.Token).ConfigureAwait(false);
                    }
                }

                await _stream.FlushAsync(_shutdown.Token).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync()
    {
        var parser = new RespReader();
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    Volatile.Write(ref _lastReceived, Environment.TickCount64);
                }

                try
                {
                    while (parser.TryRead(ref buffer, out var reply))
                    {
                        Dispatch(reply);
                    }
                }
                finally
                {
                    // Consumed up to the last whole reply; examined everything, so the next read waits for new bytes.
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    throw new RedisConnectionException($"Redis at {_options.Endpoint} closed the connection.");
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Dispatch(in RespValue reply)
    {
        if (_pushHandler is not null && IsPush(reply))
        {
            _pushHandler(reply);
            return;
        }

        PendingCommand? pending;
        lock (_lock)
        {
            _pending.TryDequeue(out pending);
        }

        if (pending is null)
        {
            throw new RedisProtocolException("Received a reply while no command was waiting for one.");
        }

        pending.Complete(reply);
    }

    private static bool IsPush(in RespValue reply)
    {
        if (reply.Type != RespType.Array || reply.Length == 0)
        {
            return false;
        }

        var kind = reply[0];
        return kind.IsText("message"u8) || kind.IsText("subscribe"u8) || kind.IsText("unsubscribe"u8)
               || kind.IsText("pmessage"u8) || kind.IsText("psubscribe"u8) || kind.IsText("punsubscribe"u8);
    }

    private void OnTimer()
    {
        var now = Environment.TickCount64;
        var unresponsive = false;
        lock (_lock)
        {
            if (_faulted)
            {
                return;
            }

            foreach (var pending in _pending)
            {
                if (pending.Deadline <= now && !pending.Task.IsCompleted)
                {
                    pending.Fail(new RedisTimeoutException(
                        $"Redis command {pending.Command} timed out after {pending.Timeout.TotalMilliseconds:0} ms " +
                        $"({_options.Endpoint}, {_pending.Count} command(s) in flight)."));
                }
            }

            if (_pending.TryPeek(out var oldest))
            {
                var silentFor = now - Math.Max(oldest.SentAt, Volatile.Read(ref _lastReceived));
                unresponsive = silentFor > _options.UnresponsiveTimeout.TotalMilliseconds;
            }
        }

        if (unresponsive)
        {
            RedisLog.Unresponsive(_logger, _options.Endpoint, (long)_options.UnresponsiveTimeout.TotalMilliseconds);
            Fail(new RedisConnectionException(
                $"Redis at {_options.Endpoint} sent nothing for {_options.UnresponsiveTimeout.TotalMilliseconds:0} ms while commands were in flight."));
        }
    }
}
