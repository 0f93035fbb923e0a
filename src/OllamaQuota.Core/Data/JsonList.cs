using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace OllamaQuota.Core.Data;

/// <summary>
/// A list of strings in one text column as a JSON array: the same on SQLite and PostgreSQL (where EF would otherwise
/// make a primitive collection a text[] on one and JSON on the other).
/// </summary>
internal static class JsonList
{
    // EF passes a null column value through without calling the converter; the '!'s say only that.
    public static readonly ValueConverter<string[]?, string?> Converter = new(
        list => JsonSerializer.Serialize(list!, JsonSerializerOptions.Default),
        json => JsonSerializer.Deserialize<string[]>(json!, JsonSerializerOptions.Default));

    public static readonly ValueComparer<string[]?> Comparer = new(
        (left, right) => left == null ? right == null : right != null && left.SequenceEqual(right),
        list => list == null ? 0 : list.Aggregate(0, (hash, item) => HashCode.Combine(hash, item)),
        list => list == null ? null : list.ToArray());
}
