namespace OllamaQuota.Core.Models;

/// <summary>
/// One entry of a model allow-list or a per-model rule: a model name, or a pattern with one <c>*</c> that stands for
/// any run of characters, either at the end (<c>llama3.2:*</c>, <c>hf.co/bartowski/*</c>, <c>llama3*</c>) or in the
/// tag (<c>qwen2.5:*-instruct</c>). Names are compared as Ollama resolves them (<see cref="ShortForm"/>), so
/// <c>llama3</c> is <c>llama3:latest</c> is <c>registry.ollama.ai/library/llama3:latest</c>.
/// </summary>
public sealed class ModelPattern
{
    /// <summary>The most entries one list holds.</summary>
    public const int MaxEntries = 64;

    /// <summary>Why an entry is refused, as a predicate of "entry N".</summary>
    public const string Requirement =
        "must be an Ollama model name, or a pattern with one '*' at the end or in the tag (e.g. 'llama3.2:*')";

    private const string DefaultRegistry = "registry.ollama.ai/";
    private const string DefaultNamespace = "library/";

    private readonly string _prefix;
    private readonly string? _suffix;

    private ModelPattern(string text, string prefix, string? suffix)
    {
        Text = text;
        _prefix = prefix;
        _suffix = suffix;
    }

    /// <summary>The entry as the admin wrote it (trimmed).</summary>
    public string Text { get; }

    /// <summary>Whether the entry has a wildcard (a pattern) rather than naming one model.</summary>
    public bool IsPattern => _suffix is not null;

    /// <summary>How many characters the entry pins down: among several matching entries, the longest is the most specific.</summary>
    public int Specificity => _prefix.Length + (_suffix?.Length ?? 0) + (IsPattern ? 0 : 1);

    /// <summary>The entry, or why not (a predicate: "must …").</summary>
    public static (ModelPattern? Pattern, string? Error) Parse(string? entry)
    {
        var text = entry?.Trim() ?? "";
        var star = text.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return ModelName.IsValid(text) ? (new ModelPattern(text, ShortForm(text), null), null) : (null, Requirement);
        }

        // Valid exactly when the name with a plain character in place of the '*' is a name, and the '*' ends the entry
        // or sits in its tag.
        var tagStart = text.LastIndexOf(':') is var colon && colon > text.LastIndexOf('/') ? colon : -1;
        var placed = star == text.Length - 1 || (tagStart >= 0 && star > tagStart && text.IndexOf('@', StringComparison.Ordinal) < 0);
        if (text.IndexOf('*', star + 1) >= 0 || !placed || !ModelName.IsValid(string.Concat(text.AsSpan(0, star), "x", text.AsSpan(star + 1))))
        {
            return (null, Requirement);
        }

        // The short form of a pattern cannot be known (the '*' may stand for a tag or a namespace), so patterns are
        // written in it: nothing a pattern names as registry.ollama.ai/… or library/… would ever match.
        if (text.StartsWith(DefaultRegistry, StringComparison.OrdinalIgnoreCase) || text.StartsWith(DefaultNamespace, StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"must be written without '{DefaultRegistry}' or '{DefaultNamespace}' when it is a pattern (e.g. 'llama3.2:*')");
        }

        return (new ModelPattern(text, text[..star].ToLowerInvariant(), text[(star + 1)..].ToLowerInvariant()), null);
    }

    /// <summary>
    /// A model name as Ollama resolves it, in its short form: lower case, the tag <c>latest</c> filled in, the default
    /// registry and the <c>library</c> namespace left out. Ollama compares names case-insensitively.
    /// </summary>
    public static string ShortForm(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        var digest = at >= 0 ? name[at..] : "";
        var bare = at >= 0 ? name[..at] : name;
        if (bare.LastIndexOf(':') <= bare.LastIndexOf('/'))
        {
            bare += ":latest";
        }

        if (bare.StartsWith(DefaultRegistry, StringComparison.OrdinalIgnoreCase))
        {
            bare = bare[DefaultRegistry.Length..];
        }

        if (bare.StartsWith(DefaultNamespace, StringComparison.OrdinalIgnoreCase) && bare.IndexOf('/', DefaultNamespace.Length) < 0)
        {
            bare = bare[DefaultNamespace.Length..];
        }

        return (bare + digest).ToLowerInvariant();
    }

    /// <param name="shortName">A name in <see cref="ShortForm"/>.</param>
    public bool Matches(string shortName) => _suffix is null
        ? string.Equals(shortName, _prefix, StringComparison.Ordinal)
        : shortName.Length >= _prefix.Length + _suffix.Length
            && shortName.StartsWith(_prefix, StringComparison.Ordinal)
            && shortName.EndsWith(_suffix, StringComparison.Ordinal);
}
