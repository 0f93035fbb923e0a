using System.Text.Json.Serialization;
using OllamaQuota.Admin.Activity;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// A key as the Admin API shows it: never a hash; the plaintext only in the response that created or rotated it.
/// </summary>
/// <param name="PreviousKeyPrefix">The prefix of the secret the last rotation replaced.</param>
/// <param name="PreviousKeyExpiresAt">When that secret stopped or stops working: the end of its grace period.</param>
public sealed record ApiKeyResponse(
    Guid Id,
    string Name,
    string KeyPrefix,
    string Status,
    DateTime CreatedAt,
    DateTime? ExpiresAt,
    DateTime? DeactivatedAt,
    DateTime? DeletedAt,
    DateTime? RotatedAt,
    string? PreviousKeyPrefix,
    DateTime? PreviousKeyExpiresAt,
    long? DailyTokens,
    long? MonthlyTokens,
    long? DailyRequests,
    long? MonthlyRequests,
    long? RequestsPerMinute,
    long? TokensPerMinute,
    long? RequestsPerHour,
    long? TokensPerHour,
    long? MaxConcurrentRequests,
    IReadOnlyList<string> AllowedModels,
    UsageResponse Usage,
    long InFlight,
    Guid? OwnerId,
    string? OwnerName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key = null)
{
    /// <param name="activity">Its use: usage by window and requests in flight now.</param>
    /// <remarks>The owner's name is shown when <paramref name="key"/> was read with its owner.</remarks>
    public static ApiKeyResponse From(ApiKey key, KeyActivity activity, DateTime utcNow, string? plaintext = null) => new(
        key.Id,
        key.Name,
        key.KeyPrefix,
        key.StatusAt(utcNow).ToWire(),
        key.CreatedAt,
        key.ExpiresAt,
        key.DeactivatedAt,
        key.DeletedAt,
        key.RotatedAt,
        key.PreviousKeyPrefix,
        key.PreviousKeyExpiresAt,
        key.DailyTokens,
        key.MonthlyTokens,
        key.DailyRequests,
        key.MonthlyRequests,
        key.RequestsPerMinute,
        key.TokensPerMinute,
        key.RequestsPerHour,
        key.TokensPerHour,
        key.MaxConcurrentRequests,
        key.AllowedModels ?? [],
        UsageResponse.From(activity),
        activity.InFlight,
        key.OwnerId,
        key.Owner?.Name,
        plaintext);
}

/// <summary>Usage in each window: today and this month from the roll-ups, this hour and minute from the usage events.</summary>
public sealed record UsageResponse(UsageTotalsResponse Today, UsageTotalsResponse Month, UsageTotalsResponse Hour, UsageTotalsResponse Minute)
{
    public static UsageResponse From(KeyActivity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return new UsageResponse(
            UsageTotalsResponse.From(activity.Usage.Today),
            UsageTotalsResponse.From(activity.Usage.Month),
            UsageTotalsResponse.From(activity.Recent.Hour),
            UsageTotalsResponse.From(activity.Recent.Minute));
    }
}

/// <param name="GpuSeconds">GPU time (<see cref="GpuTime"/>) of the requests Ollama timed.</param>
/// <param name="TimedRequests">How many requests that is: those Ollama reported durations for.</param>
public sealed record UsageTotalsResponse(
    long Requests, long PromptTokens, long CompletionTokens, long Tokens, double GpuSeconds, long TimedRequests)
{
    public static UsageTotalsResponse From(UsageTotals totals) => new(
        totals.Requests, totals.PromptTokens, totals.CompletionTokens, totals.Tokens, GpuTime.Seconds(totals.GpuDurationNs), totals.TimedRequests);
}
