using System.Runtime.CompilerServices;

namespace OllamaQuota.Core.Tokens;

/// <summary>
/// A hand-written scanner equivalent to tiktoken's cl100k_base split pattern
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// under backtracking (first alternative wins) semantics, working on UTF-16 without allocating.
/// </summary>
/// <remarks>
/// Unpaired surrogates are classed as U+FFFD (Other) because tiktoken only ever sees the UTF-8 that
/// JavaScript's TextEncoder produces, which replaces them.
/// </remarks>
internal static class Cl100kPreTokenizer
{
    /// <summary>Returns the end (exclusive) of the piece that starts at <paramref name="start"/>.</summary>
    public static int NextPieceEnd(ReadOnlySpan<char> text, int start)
    {
        var c = text[start];

        // 1. Contractions: the pattern is case-insensitive, and Unicode case folding maps U+017F (ſ) to s.
        if (c == '\'' && start + 1 < text.Length)
        {
            var contraction = ContractionLength(text, start + 1);
            if (contraction > 0)
            {
                return start + 1 + contraction;
            }
        }

        var first = ClassAt(text, start, out var firstWidth);

        // 2. Letters, optionally led by one char that is not a line break, letter or number.
        if (first == CharClass.Letter)
        {
            return SkipLetters(text, start + firstWidth);
        }

        var next = start + firstWidth;
        if (first is CharClass.Other or CharClass.Space && next < text.Length
            && ClassAt(text, next, out var nextWidth) == CharClass.Letter)
        {
            return SkipLetters(text, next + nextWidth);
        }

        // 3. One to three numbers.
        if (first == CharClass.Number)
        {
            var end = next;
            for (var n = 1; n < 3 && end < text.Length && ClassAt(text, end, out var width) == CharClass.Number; n++)
            {
                end += width;
            }

            return end;
        }

        // 4. Punctuation and symbols, optionally led by one space, then any line breaks.
        if (first == CharClass.Other)
        {
            return SkipLineBreaks(text, SkipOthers(text, next));
        }

        if (c == ' ' && next < text.Length && ClassAt(text, next, out var otherWidth) == CharClass.Other)
        {
            return SkipLineBreaks(text, SkipOthers(text, next + otherWidth));
        }

        // Only white space is left; every white space code point is in the BMP.
        var runEnd = next;
        while (runEnd < text.Length && CharClasses.OfBmp(text[runEnd]) is CharClass.Space or CharClass.LineBreak)
        {
            runEnd++;
        }

        // 5. \s*[\r\n]+ backtracks to the last line break of the run.
        for (var i = runEnd - 1; i >= start; i--)
        {
            if (text[i] is '\r' or '\n')
            {
                return i + 1;
            }
        }

        // 6. \s+(?!\S) leaves the last space of the run to lead the next word, unless the text ends.
        if (runEnd == text.Length || runEnd - 1 == start)
        {
            // 7. \s+ (a single space before a non-space).
            return runEnd;
        }

        return runEnd - 1;
    }

    private static int ContractionLength(ReadOnlySpan<char> text, int i)
    {
        var c1 = text[i];
        if (c1 == '\u017F')
        {
            return 1;
        }

        // OR-ing 0x20 lower-cases ASCII letters and maps nothing else onto them.
        return (c1 | 0x20) switch
        {
            's' or 't' or 'm' or 'd' => 1,
            'r' or 'v' when i + 1 < text.Length && (text[i + 1] | 0x20) == 'e' => 2,
            'l' when i + 1 < text.Length && (text[i + 1] | 0x20) == 'l' => 2,
            _ => 0,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static CharClass ClassAt(ReadOnlySpan<char> text, int i, out int width)
    {
        var c = text[i];
        if (!char.IsSurrogate(c))
        {
            width = 1;
            return CharClasses.OfBmp(c);
        }

        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return CharClasses.OfCodePoint(char.ConvertToUtf32(c, text[i + 1]));
        }

        width = 1;
        return CharClass.Other;
    }

    private static int SkipLetters(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && ClassAt(text, i, out var width) == CharClass.Letter)
        {
            i += width;
        }

        return i;
    }

    private static int SkipOthers(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && ClassAt(text, i, out var width) == CharClass.Other)
        {
            i += width;
        }

        return i;
    }

    private static int SkipLineBreaks(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && text[i] is '\r' or '\n')
        {
            i++;
        }

        return i;
    }
}
