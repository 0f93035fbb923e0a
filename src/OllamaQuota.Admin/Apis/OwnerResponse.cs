using OllamaQuota.Admin.Activity;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// An owner as the Admin API shows it: its limits (across all of its keys), its keys, and its use — the usage of the
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
    UsageResponse Usage,
    long InFlight)
{
    public static OwnerResponse From(Owner owner, IEnumerable<ApiKey> keys, KeyActivity activity, DateTime utcNow)
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
            UsageResponse.From(activity),
            activity.InFlight);
    }
}

/// <summary>One of an owner's keys, as its list shows it.</summary>
public sealed record OwnerKeyResponse(Guid Id, string Name, string KeyPrefix, string Status);
