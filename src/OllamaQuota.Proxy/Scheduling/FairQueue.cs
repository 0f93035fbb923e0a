namespace OllamaQuota.Proxy.Scheduling;

/// <summary>
/// The order in which one model's waiting requests get slots, kept by <see cref="InProcessModelSlots"/> (and in Lua by
/// <see cref="RedisSlotScripts"/>, the same algorithm). Each waiter is given a round number: one past the later of the
/// round last served and its key's previous waiter's round. The lowest round is served first, and within a round the
/// earlier arrival. So every waiting key has one request in each round: a key with 100 queued and a key with 1 take
/// the next slots in turn, and a key that joins later enters the next round, after the keys already waiting in it —
/// round-robin across keys, first come first served within a key, with no per-key queues to rotate.
/// </summary>
internal sealed class FairQueue
{
    private readonly SortedSet<Waiter> _waiting = new(WaiterOrder.Instance);
    private readonly Dictionary<Guid, (long LastRound, int Count)> _keys = [];
    private long _servedRound;
    private long _arrivals;

    public int Count => _waiting.Count;

    public Waiter Enqueue(Guid keyId)
    {
        var previous = _keys.GetValueOrDefault(keyId);
        var round = Math.Max(_servedRound, previous.LastRound) + 1;
        _keys[keyId] = (round, previous.Count + 1);
        var waiter = new Waiter(keyId, round, ++_arrivals);
        _waiting.Add(waiter);
        return waiter;
    }

    /// <summary>The next waiter in turn, taken out of the queue.</summary>
    public Waiter Dequeue()
    {
        var next = _waiting.Min!;
        Remove(next);
        _servedRound = next.Round;
        return next;
    }

    /// <summary>Takes a waiter out of the queue (it is served, or leaves); false when it is no longer in it.</summary>
    public bool Remove(Waiter waiter)
    {
        if (!_waiting.Remove(waiter))
        {
            return false;
        }

        // A key with nobody left waiting is forgotten, so when it comes back it joins the next round like a new key.
        var (lastRound, count) = _keys[waiter.KeyId];
        if (count == 1)
        {
            _keys.Remove(waiter.KeyId);
        }
        else
        {
            _keys[waiter.KeyId] = (lastRound, count - 1);
        }

        return true;
    }

    internal sealed class Waiter(Guid keyId, long round, long arrival)
    {
        public Guid KeyId { get; } = keyId;

        public long Round { get; } = round;

        public long Arrival { get; } = arrival;

        public TaskCompletionSource<ModelSlot> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class WaiterOrder : IComparer<Waiter>
    {
        public static readonly WaiterOrder Instance = new();

        public int Compare(Waiter? x, Waiter? y) =>
            x!.Round != y!.Round ? x.Round.CompareTo(y.Round) : x.Arrival.CompareTo(y.Arrival);
    }
}
