using System.Runtime.CompilerServices;

namespace OllamaQuota.Core.Tokens;

internal static class Utf8Piece
{
    /// <summary>The most bytes one UTF-16 code unit can become.</summary>
    public const int MaxBytesPerChar = 3;

    /// <summary>
    /// Writes the UTF-8 of <paramref name="text"/> to <paramref name="destination"/>, which must hold
    /// <see cref="MaxBytesPerChar"/> bytes per char. Unpaired surrogates become U+FFFD (EF BF BD), as
    /// JavaScript's TextEncoder makes them before tiktoken sees the text.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    // Hand-rolled because pieces are a few chars long and the library transcoders' setup costs more
    // than the conversion.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            int c = text[i];
            if (c < 0x80)
            {
                destination[written++] = (byte)c;
            }
            else
            {
                written = WriteNonAscii(text, ref i, destination, written);
            }
        }

        return written;
    }

    private static int WriteNonAscii(ReadOnlySpan<char> text, ref int i, Span<byte> destination, int written)
    {
        int c = text[i];
        if (c < 0x800)
        {
            destination[written] = (byte)(0xC0 | (c >> 6));
            destination[written + 1] = (byte)(0x80 | (c & 0x3F));
            return written + 2;
        }

        if (char.IsSurrogate((char)c))
        {
            if (char.IsHighSurrogate((char)c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var cp = char.ConvertToUtf32((char)c, text[++i]);
                destination[written] = (byte)(0xF0 | (cp >> 18));
                destination[written + 1] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                destination[written + 2] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                destination[written + 3] = (byte)(0x80 | (cp & 0x3F));
                return written + 4;
            }

            c = '\uFFFD';
        }

        destination[written] = (byte)(0xE0 | (c >> 12));
        destination[written + 1] = (byte)(0x80 | ((c >> 6) & 0x3F));
        destination[written + 2] = (byte)(0x80 | (c & 0x3F));
        return written + 3;
    }
}
