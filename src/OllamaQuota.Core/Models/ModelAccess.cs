namespace OllamaQuota.Core.Models;

/// <summary>
/// The models a key may use: its allow-list of names and patterns (<see cref="ModelPattern"/>); an empty list allows
/// every model. Built from stored entries, which the Admin API validated.
/// </summary>
public sealed class ModelAccess
{
    public static readonly ModelAccess All = new([], allowsAll: true);

    private readonly ModelPattern[] _entries;

    private ModelAccess(ModelPattern[] entries, bool allowsAll)
    {
        _entries = entries;
        AllowsAll = allowsAll;
    }

    public bool AllowsAll { get; }

    /// <summary>Entries that no longer parse (rules tightened since they were stored) allow nothing.</summary>
    public static ModelAccess From(IReadOnlyList<string>? entries) =>
        entries is null or { Count: 0 } ? All
        : new ModelAccess([.. entries.Select(entry => ModelPattern.Parse(entry).Pattern).OfType<ModelPattern>()], allowsAll: false);

    /// <summary>
    /// The list as it is stored, or the error for the wire field (null clears it): at most
    /// <see cref="ModelPattern.MaxEntries"/> entries, each a name or pattern, duplicates (by how they match) dropped.
    /// </summary>
    public static (string[]? Entries, string? Error) Check(IReadOnlyList<string?>? entries)
    {
        if (entries is null)
        {
            return ([], null);
        }

        if (entries.Count > ModelPattern.MaxEntries)
        {
            return (null, $"must have at most {ModelPattern.MaxEntries} entries");
        }

        var kept = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var (pattern, error) = ModelPattern.Parse(entries[i]);
            if (pattern is null)
            {
                var shown = entries[i] is { Length: > 80 } text ? text[..80] + "…" : entries[i];
                return (null, $"entry {i + 1} ('{shown}') {error}");
            }

            if (seen.Add(pattern.IsPattern ? pattern.Text.ToLowerInvariant() : ModelPattern.ShortForm(pattern.Text)))
            {
                kept.Add(pattern.Text);
            }
        }

        return ([.. kept], null);
    }

    public bool Allows(string model)
    {
        if (AllowsAll)
        {
            return true;
        }

        var shortName = ModelPattern.ShortForm(model);
        return _entries.Any(entry => entry.Matches(shortName));
    }
}
