using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Models;

/// <summary>
/// What a model name may be: Ollama's own grammar (ollama/ollama, types/model/name.go),
/// <c>[host/][namespace/]model[:tag]</c> with an optional <c>@digest</c>. Each part starts with a letter, a digit or
/// '_' and goes on with those, '-' and '.' (no '.' in a namespace; ':' also in a host, for its port; a digest is
/// letters, digits, '-' and ':'). Parts are at most 80 characters as in Ollama (a host, 350 there, is bounded by the
/// whole), and the whole at most <see cref="ColumnLengths.Model"/>, what usage and settings store. A name outside
/// this is refused before it is reserved, forwarded or recorded: Ollama would not serve it, nor storage hold it.
/// </summary>
public static class ModelName
{
    /// <summary>Completes "must be …" in an error message.</summary>
    public static readonly string Requirement =
        $"an Ollama model name, [host/][namespace/]model[:tag], of letters, digits, '_', '-' and '.', at most {ColumnLengths.Model} characters";

    private const int MaxPartLength = 80;

    private enum Part
    {
        Host,
        Namespace,
        Model,
        Tag,
        Digest,
    }

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > ColumnLengths.Model)
        {
            return false;
        }

        var at = name.IndexOf('@');
        if (at >= 0)
        {
            if (!IsPart(name[(at + 1)..], Part.Digest))
            {
                return false;
            }

            name = name[..at];
        }

        // A ':' after the last '/' starts the tag; one before it belongs to the host (its port).
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            if (!IsPart(name[(colon + 1)..], Part.Tag))
            {
                return false;
            }

            name = name[..colon];
        }

        var slash = name.LastIndexOf('/');
        if (!IsPart(name[(slash + 1)..], Part.Model))
        {
            return false;
        }

        if (slash < 0)
        {
            return true;
        }

        name = name[..slash];
        slash = name.LastIndexOf('/');
        return IsPart(name[(slash + 1)..], Part.Namespace) && (slash < 0 || IsPart(name[..slash], Part.Host));
    }

    private static bool IsPart(ReadOnlySpan<char> part, Part kind)
    {
        if (part.IsEmpty || (part.Length > MaxPartLength && kind != Part.Host) || !(char.IsAsciiLetterOrDigit(part[0]) || part[0] == '_'))
        {
            return false;
        }

        foreach (var c in part[1..])
        {
            var allowed = char.IsAsciiLetterOrDigit(c) || c == '-'
                || (c == '_' && kind != Part.Digest)
                || (c == '.' && kind is Part.Host or Part.Model or Part.Tag)
                || (c == ':' && kind is Part.Host or Part.Digest);
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }
}
