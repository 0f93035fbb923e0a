using OllamaQuota.Admin.Activity;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// An owner as the Admin API shows it: its limits (across all of its keys), its keys (in the list of owners only the
/// first <see cref="ListedKeys"/>, <c>key_count</c> counting all), and its use — the usage of the
/// keys it holds now, in each window, and their requests in flight.
/// </summary>
public sealed record OwnerResponse(
    Guid Id,
    string Name,
    string? Contact,
    DateTime CreatedAt,
    long? DailyTokens,
    long? MonthlyTokens,
    long? DailyRequests,
    long? MonthlyRequests,
    long? RequestsPerMinute,
    long? TokensPerMinute,
    long? RequestsPerHour,
    long? TokensPerHour,
    long? MaxConcurrentRequests,
    IReadOnlyList<OwnerKeyResponse> Keys,
    int KeyCount,
    UsageResponse Usage,
    long InFlight)
{
    /// <summary>How many of its keys an owner in the list of owners names (the oldest first); one owner names all.</summary>
    public const int ListedKeys = 5;

    /// <summary>The owner with all of its <paramref name="keys"/>.</summary>
    public static OwnerResponse From(Owner owner, IReadOnlyCollection<ApiKey> keys, KeyActivity activity, DateTime utcNow) =>
        From(owner, keys, keys.Count, activity, utcNow);

    /// <summary>The owner with some of its keys, of <paramref name="keyCount"/> in all.</summary>
    public static OwnerResponse From(Owner owner, IEnumerable<ApiKey> keys, int keyCount, KeyActivity activity, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new OwnerResponse(
            owner.Id,
            owner.Name,
            owner.Contact,
            owner.CreatedAt,
            owner.DailyTokens,
            owner.MonthlyTokens,
            owner.DailyRequests,
            owner.MonthlyRequests,
            owner.RequestsPerMinute,
            owner.TokensPerMinute,
            owner.RequestsPerHour,
            owner.TokensPerHour,
            owner.MaxConcurrentRequests,
            [.. keys.OrderBy(k => k.CreatedAt).Select(k => new OwnerKeyResponse(k.Id, k.Name, k.KeyPrefix, k.StatusAt(utcNow).ToWire()))],
            keyCount,
            UsageResponse.From(activity),
            activity.InFlight);
    }
}

/// <summary>One of an owner's keys, as its list shows it.</summary>
public sealed record OwnerKeyResponse(Guid Id, string Name, string KeyPrefix, string Status);
