using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// Maps token bytes to BPE ranks and back without allocating. One- and two-byte sequences index
/// direct tables; longer ones go to an open-addressing table whose entries carry the first eight
/// bytes, so most candidates are accepted or rejected by one 64-bit compare.
/// </summary>
/// <remarks>
/// Lookups read whole 64-bit words, so callers must leave <see cref="Padding"/> readable bytes after
/// any span they pass in; the masks keep those bytes out of the comparison.
/// </remarks>
internal sealed class RankTable
{
    public const int Padding = 8;

    private const ulong HashMultiplier = 0x9E3779B97F4A7C15;

    private readonly Entry[] _entries;
    private readonly int _shift;
    private readonly byte[] _bytes;
    private readonly int[] _tokenStart;
    private readonly int[] _tokenLength;

    // Merging starts by ranking every adjacent byte pair; a direct 256 KiB table answers those
    // without hashing, and single bytes likewise.
    private readonly int[] _pairRank = new int[256 * 256];
    private readonly int[] _byteRank = new int[256];

    /// <param name="bytes">All token bytes, followed by at least <see cref="Padding"/> bytes.</param>
    /// <param name="tokenStart">Where each rank's bytes start in <paramref name="bytes"/>.</param>
    /// <param name="tokenLength">Each rank's length; 0 for a rank that has no token.</param>
    public RankTable(byte[] bytes, int[] tokenStart, int[] tokenLength)
    {
        _bytes = bytes;
        _tokenStart = tokenStart;
        _tokenLength = tokenLength;

        // A load factor under 0.4 keeps misses, which are most lookups while merging, to about one probe.
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, tokenLength.Length * 5 / 2));
        _entries = new Entry[capacity];
        _shift = 64 - BitOperations.Log2((uint)capacity);

        Array.Fill(_pairRank, -1);
        Array.Fill(_byteRank, -1);
        for (var rank = 0; rank < tokenLength.Length; rank++)
        {
            var length = tokenLength[rank];
            if (length == 0)
            {
                continue;
            }

            if (length <= 2)
            {
                var key = length == 1 ? bytes[tokenStart[rank]] : BitConverter.ToUInt16(bytes, tokenStart[rank]);
                ref var direct = ref length == 1 ? ref _byteRank[key] : ref _pairRank[key];
                direct = direct < 0 ? rank : throw new InvalidDataException($"Rank {rank} duplicates the bytes of another token.");
                continue;
            }

            ref var start = ref bytes[tokenStart[rank]];
            if (Lookup(ref start, length) >= 0)
            {
                throw new InvalidDataException($"Rank {rank} duplicates the bytes of another token.");
            }

            var mask = (ulong)(_entries.Length - 1);
            var slot = Hash(ref start, length) >> _shift;
            while (_entries[slot].Length != 0)
            {
                slot = (slot + 1) & mask;
            }

            _entries[slot] = new Entry(Head(ref start, length), rank, length);
        }
    }

    public ReadOnlySpan<byte> TokenBytes(int rank) =>
        (uint)rank < (uint)_tokenLength.Length && _tokenLength[rank] != 0
            ? _bytes.AsSpan(_tokenStart[rank], _tokenLength[rank])
            : throw new ArgumentOutOfRangeException(nameof(rank), rank, "Not a cl100k_base token id.");

    public bool IsToken(int rank) => (uint)rank < (uint)_tokenLength.Length && _tokenLength[rank] != 0;

    /// <summary>Returns the rank of the two bytes at <paramref name="start"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LookupPair(ref byte start) =>
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pairRank), Unsafe.ReadUnaligned<ushort>(ref start));

    /// <summary>Returns the rank of the given bytes, or -1 when they are not a token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(ref byte start, int length)
    {
        if (length <= 2)
        {
            return length == 2 ? LookupPair(ref start) : _byteRank[start];
        }

        return LookupLong(ref start, length);
    }

    private int LookupLong(ref byte start, int length)
    {
        var head = Head(ref start, length);
        var mask = (ulong)(_entries.Length - 1);
        var slot = Hash(ref start, length) >> _shift;
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        while (true)
        {
            ref var entry = ref Unsafe.Add(ref entries, (nint)slot);
            if (entry.Length == length && entry.Head == head
                && (length <= 8 || TailEquals(ref start, length, entry.Rank)))
            {
                return entry.Rank;
            }

            if (entry.Length == 0)
            {
                return -1;
            }

            slot = (slot + 1) & mask;
        }
    }

    private bool TailEquals(ref byte start, int length, int rank) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref start, 8), length - 8)
            .SequenceEqual(_bytes.AsSpan(_tokenStart[rank] + 8, length - 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Head(ref byte start, int length) =>
        Unsafe.ReadUnaligned<ulong>(ref start) & (ulong.MaxValue >> ((8 - Math.Min(length, 8)) * 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(ref byte start, int length)
    {
        var hash = (Head(ref start, length) + (ulong)length) * HashMultiplier;
        for (var offset = 8; offset < length; offset += 8)
        {
            var word = Head(ref Unsafe.Add(ref start, offset), length - offset);
            hash = (BitOperations.RotateLeft(hash, 29) ^ word) * HashMultiplier;
        }

        return hash;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Entry(ulong Head, int Rank, int Length);
}
