using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// tiktoken's byte-pair merge: repeatedly join the adjacent pair whose bytes have the lowest rank,
/// the leftmost one on ties, until no adjacent pair is a token.
/// </summary>
/// <remarks>
/// Short pieces scan all candidates for the minimum at every step, as tiktoken does, which is fastest
/// for a few dozen bytes. That cost grows with the square of the length, so long pieces (a megabyte of one letter is a
/// single piece) go through an indexed min-heap ordered by (rank, position) instead; that picks the
/// same pair at every step, so the output is identical, in O(n log n).
/// </remarks>
internal static class BytePairMerger
{
    /// <summary>Pieces up to this many bytes take the quadratic path.</summary>
    public const int SmallPieceLimit = 128;

    /// <summary>Scratch ints <see cref="Merge"/> needs for short pieces: a long key and a back link per byte.</summary>
    public const int ScratchLength = (2 * (SmallPieceLimit + 4)) + SmallPieceLimit;

    private const int NoRank = int.MaxValue;

    /// <summary>
    /// Merges <paramref name="length"/> bytes at <paramref name="piece"/> (followed by
    /// <see cref="RankTable.Padding"/> readable bytes) and writes the start of every resulting part,
    /// then <paramref name="length"/>, to <paramref name="bounds"/> (length + 1 entries).
    /// <paramref name="scratch"/> must hold <see cref="ScratchLength"/> entries; the caller owns
    /// it so the hot loop does not zero a fresh stack buffer per piece.
    /// </summary>
    /// <returns>The number of parts, which is the number of tokens.</returns>
    public static int Merge(RankTable table, ref byte piece, int length, Span<int> bounds, Span<int> scratch) =>
        length <= SmallPieceLimit
            ? MergeSmall(table, ref piece, length, bounds, scratch)
            : MergeLarge(table, ref piece, length, bounds);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RankOf(RankTable table, ref byte piece, int start, int end)
    {
        var rank = table.Lookup(ref Unsafe.Add(ref piece, start), end - start);
        return rank < 0 ? NoRank : rank;
    }

    private static int MergeSmall(RankTable table, ref byte piece, int length, Span<int> bounds, Span<int> scratch)
    {
        // Parts are named by their start byte and never move: next links them (it shares the bounds
        // buffer), prev points back, and keys[p] = (rank of part p joined with its successor) << 32 | p,
        // so the smallest key is the lowest rank, leftmost on ties, and carries its own position.
        // Dead parts (and the padding up to whole vectors) hold long.MaxValue. Nothing is shifted,
        // so each merge costs one vectorised minimum over the keys plus two lookups.
        var padded = (length + Vector256<long>.Count - 1) & -Vector256<long>.Count;
        Span<long> keys = MemoryMarshal.Cast<int, long>(scratch)[..padded];
        keys[length..].Fill(long.MaxValue);
        var prev = scratch.Slice(2 * padded, length);
        var next = bounds;
        for (var i = 0; i < length - 1; i++)
        {
            var rank = table.LookupPair(ref Unsafe.Add(ref piece, i));
            keys[i] = Key(rank < 0 ? NoRank : rank, i);
            next[i] = i + 1;
            prev[i] = i - 1;
        }

        keys[length - 1] = Key(NoRank, length - 1);
        next[length - 1] = length;
        prev[length - 1] = length - 2;

        var parts = length;
        while (parts > 1)
        {
            var best = Minimum(keys);

            if ((int)(best >> 32) == NoRank)
            {
                break;
            }

            var at = (int)best;
            var gone = next[at];
            var after = next[gone];
            keys[gone] = long.MaxValue;
            next[at] = after;
            if (after < length)
            {
                prev[after] = at;
            }

            parts--;
            keys[at] = Key(after < length ? RankOf(table, ref piece, at, next[after]) : NoRank, at);
            var before = prev[at];
            if (before >= 0)
            {
                keys[before] = Key(RankOf(table, ref piece, before, after), before);
            }
        }

        WriteBounds(next, length);
        return parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Minimum(ReadOnlySpan<long> keys)
    {
        ref var key = ref MemoryMarshal.GetReference(keys);
        var min = Vector256.LoadUnsafe(ref key);
        for (var i = Vector256<long>.Count; i < keys.Length; i += Vector256<long>.Count)
        {
            min = Vector256.Min(min, Vector256.LoadUnsafe(ref key, (nuint)i));
        }

        return Math.Min(Math.Min(min[0], min[1]), Math.Min(min[2], min[3]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Key(int rank, int position) => ((long)rank << 32) | (uint)position;

    private static int MergeLarge(RankTable table, ref byte piece, int length, Span<int> bounds)
    {
        // Parts are named by their start byte; next (sharing the bounds buffer) and prev link the live ones.
        var next = bounds;
        var prev = ArrayPool<int>.Shared.Rent(length);
        var heap = new IndexedMinHeap(length);
        try
        {
            for (var i = 0; i < length; i++)
            {
                next[i] = i + 1;
                prev[i] = i - 1;
                var rank = i + 1 < length ? table.LookupPair(ref Unsafe.Add(ref piece, i)) : -1;
                if (rank >= 0)
                {
                    heap.AddUnordered(i, rank);
                }
            }

            heap.Heapify();

            var parts = length;
            while (heap.Count > 0)
            {
                var at = heap.PopMin();
                var gone = next[at];
                var after = next[gone];
                heap.Remove(gone);
                next[at] = after;
                if (after < length)
                {
                    prev[after] = at;
                }

                parts--;
                Rerank(ref heap, table, ref piece, at, after < length ? next[after] : -1);
                var before = prev[at];
                if (before >= 0)
                {
                    Rerank(ref heap, table, ref piece, before, after);
                }
            }

            WriteBounds(next, length);
            return parts;
        }
        finally
        {
            heap.Dispose();
            ArrayPool<int>.Shared.Return(prev);
        }
    }

    private static void Rerank(ref IndexedMinHeap heap, RankTable table, ref byte piece, int start, int end)
    {
        var rank = end < 0 ? -1 : table.Lookup(ref Unsafe.Add(ref piece, start), end - start);
        if (rank < 0)
        {
            heap.Remove(start);
        }
        else
        {
            heap.Set(start, rank);
        }
    }

    /// <summary>
    /// Turns the links of the live parts (<paramref name="next"/>, which shares the bounds buffer) into their start
    /// offsets followed by <paramref name="length"/>. In place: the k-th live part starts at or after k, so writes
    /// never overtake reads.
    /// </summary>
    private static void WriteBounds(Span<int> next, int length)
    {
        var count = 0;
        for (var p = 0; p < length;)
        {
            var following = next[p];
            next[count++] = p;
            p = following;
        }

        next[count] = length;
    }
}
