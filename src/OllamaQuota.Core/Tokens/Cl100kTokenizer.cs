using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// OpenAI's cl100k_base tokenizer, id for id the same as tiktoken (checked against the npm package
/// <c>tiktoken</c>), used to estimate prompt sizes before a request reaches Ollama.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="CountTokens(ReadOnlySpan{char}, bool)"/> allocates nothing once warm.
/// Special-token text such as <c>&lt;|endoftext|&gt;</c> is ordinary text unless a caller opts in,
/// so a user cannot smuggle control tokens into a count.
/// </remarks>
public sealed class Cl100kTokenizer
{
    /// <summary>Per message in OpenAI's accounting for cl100k chat models.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Extra for a message that carries a participant name.</summary>
    public const int TokensPerName = 1;

    /// <summary>Every reply is primed with <c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>.</summary>
    public const int ReplyPrimingTokens = 3;

    // Pieces up to this many chars are transcoded into a stack buffer; longer ones rent one.
    private const int StackPieceChars = 128;

    private static readonly Lazy<Cl100kTokenizer> s_instance =
        new(() => new Cl100kTokenizer(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly RankTable _ranks;
    private readonly (string Text, int Id)[] _specials;
    private readonly SearchValues<string> _specialSearch;
    private readonly FrozenDictionary<int, byte[]> _specialBytes;

    private Cl100kTokenizer()
    {
        var (ranks, specials) = Cl100kData.Load();
        _ranks = ranks;
        _specials = [.. specials.Select(s => (s.Key, s.Value))];
        _specialSearch = SearchValues.Create([.. specials.Keys], StringComparison.Ordinal);
        _specialBytes = specials.ToFrozenDictionary(s => s.Value, s => Encoding.UTF8.GetBytes(s.Key));
        SpecialTokens = specials.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The shared instance; the rank table is loaded on first use.</summary>
    public static Cl100kTokenizer Instance => s_instance.Value;

    /// <summary>The special tokens and their ids (e.g. <c>&lt;|endoftext|&gt;</c> = 100257).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Encodes <paramref name="text"/> to token ids.</summary>
    /// <param name="text">The text; unpaired surrogates encode as U+FFFD.</param>
    /// <param name="allowSpecial">Whether special-token text becomes its special id.</param>
    public int[] Encode(string text, bool allowSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(text.AsSpan(), allowSpecial);
    }

    /// <inheritdoc cref="Encode(string, bool)"/>
    public int[] Encode(ReadOnlySpan<char> text, bool allowSpecial = false)
    {
        // Prose averages about four chars per token; a third leaves room and rarely regrows.
        var sink = new IdSink((text.Length / 3) + 16);
        Run(text, allowSpecial, ref sink);
        return sink.ToArrayAndReturn();
    }

    /// <summary>Counts the tokens <see cref="Encode(ReadOnlySpan{char}, bool)"/> would return, without allocating.</summary>
    public int CountTokens(ReadOnlySpan<char> text, bool allowSpecial = false)
    {
        var sink = default(CountingSink);
        Run(text, allowSpecial, ref sink);
        return sink.Count;
    }

    /// <summary>Turns ids back into text; byte sequences that are not valid UTF-8 become U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is neither a token nor a special token.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var length = 0;
        foreach (var id in ids)
        {
            length += TokenBytes(id).Length;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = 0;
            foreach (var id in ids)
            {
                var bytes = TokenBytes(id);
                bytes.CopyTo(buffer.AsSpan(written));
                written += bytes.Length;
            }

            return Encoding.UTF8.GetString(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Counts a chat prompt the way OpenAI documents for cl100k models: each message costs
    /// <see cref="TokensPerMessage"/> plus its role and content (plus <see cref="TokensPerName"/> and
    /// the name, if any), and the reply priming adds <see cref="ReplyPrimingTokens"/>.
    /// </summary>
    public int CountChatTokens(IEnumerable<ChatTokenMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var total = ReplyPrimingTokens;
        foreach (var message in messages)
        {
            total += TokensPerMessage + CountTokens(message.Role) + CountTokens(message.Content);
            if (message.Name is not null)
            {
                total += TokensPerName + CountTokens(message.Name);
            }
        }

        return total;
    }

    /// <inheritdoc cref="CountChatTokens(IEnumerable{ChatTokenMessage})"/>
    public int CountChatTokens(IEnumerable<(string Role, string Content)> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return CountChatTokens(messages.Select(m => new ChatTokenMessage(m.Role, m.Content)));
    }

    private ReadOnlySpan<byte> TokenBytes(int id) =>
        _ranks.IsToken(id) ? _ranks.TokenBytes(id)
        : _specialBytes.TryGetValue(id, out var special) ? special
        : throw new ArgumentOutOfRangeException(nameof(id), id, "Not a cl100k_base token id.");

    private void Run<TSink>(ReadOnlySpan<char> text, bool allowSpecial, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        if (!allowSpecial)
        {
            EncodeOrdinary(text, ref sink);
            return;
        }

        // Like tiktoken, text between specials is split on its own, so no piece spans a special.
        while (true)
        {
            var at = text.IndexOfAny(_specialSearch);
            if (at < 0)
            {
                EncodeOrdinary(text, ref sink);
                return;
            }

            EncodeOrdinary(text[..at], ref sink);
            var (special, id) = SpecialAt(text[at..]);
            sink.Add(id);
            text = text[(at + special.Length)..];
        }
    }

    private (string Text, int Id) SpecialAt(ReadOnlySpan<char> text)
    {
        foreach (var special in _specials)
        {
            if (text.StartsWith(special.Text, StringComparison.Ordinal))
            {
                return special;
            }
        }

        throw new UnreachableException("The special-token search matched text that is no special token.");
    }

    private void EncodeOrdinary<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        Span<byte> bytes = stackalloc byte[(StackPieceChars * Utf8Piece.MaxBytesPerChar) + RankTable.Padding];
        Span<int> work = stackalloc int[BytePairMerger.SmallPieceLimit + 1 + BytePairMerger.ScratchLength];
        var start = 0;
        while (start < text.Length)
        {
            var end = Cl100kPreTokenizer.NextPieceEnd(text, start);
            var piece = text[start..end];
            start = end;
            if (piece.Length <= StackPieceChars)
            {
                EncodePiece(piece, bytes, work, ref sink);
            }
            else
            {
                EncodeLongPiece(piece, ref sink);
            }
        }
    }

    private void EncodeLongPiece<TSink>(ReadOnlySpan<char> piece, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        var bytes = ArrayPool<byte>.Shared.Rent((piece.Length * Utf8Piece.MaxBytesPerChar) + RankTable.Padding);
        var work = ArrayPool<int>.Shared.Rent((piece.Length * Utf8Piece.MaxBytesPerChar) + 1 + BytePairMerger.ScratchLength);
        try
        {
            EncodePiece(piece, bytes, work, ref sink);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(work);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <param name="work">Room for the merge scratch followed by the part bounds (piece bytes + 1).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncodePiece<TSink>(ReadOnlySpan<char> piece, Span<byte> buffer, Span<int> work, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        var length = Utf8Piece.Write(piece, buffer);
        ref var bytes = ref MemoryMarshal.GetReference(buffer);

        // Most pieces are whole tokens (" the", "ing"); every single byte is one.
        if (!TSink.WantsIds && length == 1)
        {
            sink.AddCount(1);
            return;
        }

        var whole = _ranks.Lookup(ref bytes, length);
        if (whole >= 0)
        {
            sink.Add(whole);
            return;
        }

        if (length + 1 + BytePairMerger.ScratchLength <= work.Length)
        {
            EmitMerged(ref bytes, length, work, ref sink);
            return;
        }

        // A piece short enough for the stack buffers can still have more UTF-8 bytes than they hold.
        var rented = ArrayPool<int>.Shared.Rent(length + 1 + BytePairMerger.ScratchLength);
        try
        {
            EmitMerged(ref bytes, length, rented, ref sink);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private void EmitMerged<TSink>(ref byte bytes, int length, Span<int> work, ref TSink sink)
        where TSink : struct, ITokenSink
    {
        // Scratch first keeps its 64-bit keys aligned.
        var bounds = work.Slice(BytePairMerger.ScratchLength, length + 1);
        var parts = BytePairMerger.Merge(_ranks, ref bytes, length, bounds, work[..BytePairMerger.ScratchLength]);
        if (!TSink.WantsIds)
        {
            sink.AddCount(parts);
            return;
        }

        for (var i = 0; i < parts; i++)
        {
            sink.Add(_ranks.Lookup(ref Unsafe.Add(ref bytes, bounds[i]), bounds[i + 1] - bounds[i]));
        }
    }
}
