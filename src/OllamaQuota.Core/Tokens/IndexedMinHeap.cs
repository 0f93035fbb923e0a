using System.Buffers;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// A binary min-heap of merge candidates keyed by <c>rank &lt;&lt; 32 | node</c>, so the smallest key
/// is the lowest rank and, on ties, the leftmost node. A node-to-slot map lets a candidate be re-keyed
/// or dropped in place, so merges never leave stale entries behind. Arrays come from the pool.
/// </summary>
internal struct IndexedMinHeap : IDisposable
{
    private readonly long[] _keys;
    private readonly int[] _slot;

    public IndexedMinHeap(int nodes)
    {
        _keys = ArrayPool<long>.Shared.Rent(nodes);
        _slot = ArrayPool<int>.Shared.Rent(nodes);
        _slot.AsSpan(0, nodes).Fill(-1);
        Count = 0;
    }

    public int Count { get; private set; }

    /// <summary>Adds a node without ordering; call <see cref="Heapify"/> after the last one.</summary>
    public void AddUnordered(int node, int rank)
    {
        _slot[node] = Count;
        _keys[Count++] = Key(rank, node);
    }

    public readonly void Heapify()
    {
        for (var i = (Count / 2) - 1; i >= 0; i--)
        {
            SiftDown(i, _keys[i]);
        }
    }

    public int PopMin()
    {
        var node = (int)_keys[0];
        RemoveAt(0);
        return node;
    }

    public void Remove(int node)
    {
        var at = _slot[node];
        if (at >= 0)
        {
            RemoveAt(at);
        }
    }

    /// <summary>Gives <paramref name="node"/> a new rank, adding it if absent.</summary>
    public void Set(int node, int rank)
    {
        var key = Key(rank, node);
        var at = _slot[node];
        if (at < 0)
        {
            at = Count++;
        }

        Place(at, key);
    }

    public readonly void Dispose()
    {
        ArrayPool<int>.Shared.Return(_slot);
        ArrayPool<long>.Shared.Return(_keys);
    }

    private static long Key(int rank, int node) => ((long)rank << 32) | (uint)node;

    private void RemoveAt(int at)
    {
        _slot[(int)_keys[at]] = -1;
        var last = _keys[--Count];
        if (at < Count)
        {
            Place(at, last);
        }
    }

    private readonly void Place(int at, long key)
    {
        if (at > 0 && _keys[(at - 1) / 2] > key)
        {
            SiftUp(at, key);
        }
        else
        {
            SiftDown(at, key);
        }
    }

    private readonly void SiftUp(int at, long key)
    {
        while (at > 0)
        {
            var parent = (at - 1) / 2;
            var above = _keys[parent];
            if (above <= key)
            {
                break;
            }

            _keys[at] = above;
            _slot[(int)above] = at;
            at = parent;
        }

        _keys[at] = key;
        _slot[(int)key] = at;
    }

    private readonly void SiftDown(int at, long key)
    {
        var count = Count;
        while (true)
        {
            var child = (2 * at) + 1;
            if (child >= count)
            {
                break;
            }

            var below = _keys[child];
            if (child + 1 < count && _keys[child + 1] < below)
            {
                below = _keys[++child];
            }

            if (below >= key)
            {
                break;
            }

            _keys[at] = below;
            _slot[(int)below] = at;
            at = child;
        }

        _keys[at] = key;
        _slot[(int)key] = at;
    }
}
