using System.Globalization;

namespace OllamaQuota.Core.Tokens;

/// <summary>The character classes the cl100k pre-tokenisation pattern distinguishes.</summary>
internal enum CharClass : byte
{
    /// <summary>Neither letter, number nor white space (punctuation, symbols, marks, lone surrogates).</summary>
    Other = 0,
    Letter = 1,
    Number = 2,
    Space = 3,
    /// <summary>\r or \n: white space that the pattern also names on its own.</summary>
    LineBreak = 4,
}

internal static class CharClasses
{
    // A 64 KiB table turns the per-char Unicode category lookup of the scanner into one load.
    private static readonly CharClass[] s_bmp = BuildBmpTable();

    public static CharClass OfBmp(char c) => s_bmp[c];

    /// <summary>Classifies a code point the way Rust's regex classes \p{L}, \p{N} and \s do.</summary>
    public static CharClass OfCodePoint(int codePoint)
    {
        if (codePoint is '\r' or '\n')
        {
            return CharClass.LineBreak;
        }

        if (IsWhiteSpace(codePoint))
        {
            return CharClass.Space;
        }

        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    // Unicode's White_Space property, which is what \s means in Rust's regex crate.
    private static bool IsWhiteSpace(int c) =>
        c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static CharClass[] BuildBmpTable()
    {
        var table = new CharClass[0x10000];
        for (var c = 0; c < table.Length; c++)
        {
            // Surrogates only reach the table when unpaired, and tiktoken sees those as U+FFFD: Other.
            table[c] = c is >= 0xD800 and <= 0xDFFF ? CharClass.Other : OfCodePoint(c);
        }

        return table;
    }
}
