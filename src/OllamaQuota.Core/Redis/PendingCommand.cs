using System.Diagnostics;

namespace OllamaQuota.Core.Redis;

/// <summary>
/// A command waiting for its reply. It is its own TaskCompletionSource to save an allocation per command. A command that
/// timed out or was cancelled keeps its place in the FIFO; the reply that later arrives for it is simply dropped.
/// </summary>
internal sealed class PendingCommand : TaskCompletionSource<RespValue>
{
    private static readonly Action<object?> CancelCallback = static state => ((PendingCommand)state!).OnCancelled();

    private readonly CancellationToken _cancellationToken;
    private readonly Activity? _activity;
    private readonly CancellationTokenRegistration _registration;
    private int _finished;

    public PendingCommand(string command, TimeSpan timeout, Activity? activity, CancellationToken cancellationToken)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Command = command;
        Timeout = timeout;
        Deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        _activity = activity;
        _cancellationToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(CancelCallback, this);
        }
    }

    public string Command { get; }

    public TimeSpan Timeout { get; }

    /// <summary>Environment.TickCount64 after which the caller gets a timeout.</summary>
    public long Deadline { get; }

    /// <summary>When the command was handed to a connection, for spotting a connection that stopped answering.</summary>
    public long SentAt { get; set; }

    public void Complete(in RespValue reply)
    {
        if (reply.IsError)
        {
            Fail(new RedisServerException(reply.ErrorMessage!));
        }
        else if (TryFinish(null))
        {
            SetResult(reply);
        }
    }

    public void Fail(Exception exception)
    {
        if (TryFinish(exception))
        {
            SetException(exception);
        }
    }

    private void OnCancelled()
    {
        if (TryFinish(null))
        {
            SetCanceled(_cancellationToken);
        }
    }

    // The first outcome wins. The span ends before the caller resumes, so it measures the round trip, not the caller.
    private bool TryFinish(Exception? exception)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        // Unregister rather than Dispose: Dispose would wait for a cancellation callback running on another thread.
        _registration.Unregister();
        if (_activity is not null)
        {
            if (exception is not null)
            {
                _activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                _activity.SetTag("error.type", exception.GetType().FullName);
            }

            _activity.Stop();
        }

        return true;
    }
}
