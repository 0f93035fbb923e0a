namespace OllamaQuota.Proxy.Scheduling;

/// <summary>
/// The slots of each model at Ollama, shared fairly between keys: at most N requests per model in flight, and when more
/// wait, the next free slot goes to the keys in turn (round-robin), each key's own requests first come first served.
/// </summary>
public interface IModelSlots
{
    /// <summary>
    /// A slot for <paramref name="model"/> once it is this key's turn, or null when none came within
    /// <paramref name="timeout"/>. A cancelled wait (the client left) leaves the queue at once and throws.
    /// </summary>
    /// <param name="model">The model in <see cref="Core.Models.ModelPattern.ShortForm"/>, so that its aliases share one set of slots.</param>
    /// <param name="slots">How many requests for the model may be in flight (every instance passes the current setting).</param>
    ValueTask<ModelSlot?> AcquireAsync(string model, Guid keyId, int slots, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>A model slot held by one request; <see cref="Release"/> gives it back, once, however often it is called.</summary>
public sealed class ModelSlot(Action release)
{
    private Action? _release = release;

    public void Release() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
