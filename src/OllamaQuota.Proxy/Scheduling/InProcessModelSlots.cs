namespace OllamaQuota.Proxy.Scheduling;

/// <summary>
/// Embedded mode's model slots: counts and queues in this process, under one lock (each step is a few dictionary and
/// sorted-set operations). A model's entry exists while something holds or waits for one of its slots, so model names
/// that come and go leave nothing behind.
/// </summary>
public sealed class InProcessModelSlots(TimeProvider time) : IModelSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ModelState> _models = new(StringComparer.Ordinal);

    /// <summary>Requests waiting for a slot of any model, now.</summary>
    internal int WaitingCount
    {
        get
        {
            lock (_lock)
            {
                return _models.Values.Sum(state => state.Queue.Count);
            }
        }
    }

    public async ValueTask<ModelSlot?> AcquireAsync(string model, Guid keyId, int slots, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        FairQueue.Waiter waiter;
        lock (_lock)
        {
            if (!_models.TryGetValue(model, out var state))
            {
                state = new ModelState();
                _models.Add(model, state);
            }

            // The latest setting wins; a raised count lets waiters in at once.
            state.Slots = slots;
            if (state.Queue.Count == 0 && state.InFlight < slots)
            {
                state.InFlight++;
                return NewSlot(model);
            }

            waiter = state.Queue.Enqueue(keyId);
            Dispatch(model, state);
        }

        try
        {
            return await waiter.Granted.Task.WaitAsync(timeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Granted in the same instant the wait ran out: the slot is this request's after all.
            return Leave(model, waiter) ? null : await waiter.Granted.Task;
        }
        catch (OperationCanceledException)
        {
            if (!Leave(model, waiter))
            {
                (await waiter.Granted.Task).Release();
            }

            throw;
        }
    }

    /// <summary>Takes a waiter out of its queue; false when it was granted a slot first.</summary>
    private bool Leave(string model, FairQueue.Waiter waiter)
    {
        lock (_lock)
        {
            var state = _models[model];
            if (!state.Queue.Remove(waiter))
            {
                return false;
            }

            Forget(model, state);
            return true;
        }
    }

    private void Release(string model)
    {
        lock (_lock)
        {
            var state = _models[model];
            state.InFlight--;
            Dispatch(model, state);
            Forget(model, state);
        }
    }

    // Under the lock. The grants' continuations run asynchronously, never inside it.
    private void Dispatch(string model, ModelState state)
    {
        while (state.InFlight < state.Slots && state.Queue.Count > 0)
        {
            state.InFlight++;
            state.Queue.Dequeue().Granted.SetResult(NewSlot(model));
        }
    }

    private void Forget(string model, ModelState state)
    {
        if (state.InFlight == 0 && state.Queue.Count == 0)
        {
            _models.Remove(model);
        }
    }

    private ModelSlot NewSlot(string model) => new(() => Release(model));

    private sealed class ModelState
    {
        public FairQueue Queue { get; } = new();

        public int InFlight { get; set; }

        public int Slots { get; set; }
    }
}
