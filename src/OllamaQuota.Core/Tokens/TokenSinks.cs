using System.Buffers;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// Where the encoder's output goes. Implemented by structs so the JIT compiles one copy of the
/// encoding loop per sink and drops the id lookups entirely when only a count is wanted.
/// </summary>
internal interface ITokenSink
{
    static abstract bool WantsIds { get; }

    void Add(int id);

    void AddCount(int count);
}

internal struct CountingSink : ITokenSink
{
    public int Count;

    public static bool WantsIds => false;

    public void Add(int id) => Count++;

    public void AddCount(int count) => Count += count;
}

/// <summary>Collects ids in a pooled buffer; <see cref="ToArrayAndReturn"/> makes the one result allocation.</summary>
internal struct IdSink : ITokenSink
{
    private int[] _ids;
    private int _count;

    public IdSink(int capacityHint)
    {
        _ids = ArrayPool<int>.Shared.Rent(Math.Max(16, capacityHint));
        _count = 0;
    }

    public static bool WantsIds => true;

    public void Add(int id)
    {
        if (_count == _ids.Length)
        {
            var larger = ArrayPool<int>.Shared.Rent(_ids.Length * 2);
            _ids.AsSpan().CopyTo(larger);
            ArrayPool<int>.Shared.Return(_ids);
            _ids = larger;
        }

        _ids[_count++] = id;
    }

    public readonly void AddCount(int count) =>
        throw new InvalidOperationException("An id sink needs the ids, not a count.");

    public int[] ToArrayAndReturn()
    {
        var result = _ids.AsSpan(0, _count).ToArray();
        ArrayPool<int>.Shared.Return(_ids);
        _ids = [];
        return result;
    }
}
