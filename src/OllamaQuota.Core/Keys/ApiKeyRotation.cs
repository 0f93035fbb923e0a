using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

/// <summary>
/// Gives a key a new secret while its id, and so its limits, owner, usage and history, stay. The replaced secret
/// keeps working until its grace period ends and is then refused as rotated. Only one replaced secret is kept:
/// rotating again while a grace period runs ends that one at once, so the newest replaced secret wins.
/// </summary>
public static class ApiKeyRotation
{
    public const int DefaultGraceHours = 24;

    /// <summary>The longest grace period: 30 days, enough to roll a key out anywhere, short enough to end a leak.</summary>
    public const int MaxGraceHours = 720;

    /// <param name="hours">Null when what was given is not a whole number.</param>
    public static string? CheckGraceHours(long? hours) =>
        hours is null or < 0 or > MaxGraceHours ? $"must be a whole number of hours from 0 (revoke the old key now) to {MaxGraceHours}" : null;

    /// <summary>Rotates <paramref name="key"/> and returns the new plaintext (shown once, never stored).</summary>
    public static string Rotate(ApiKey key, int graceHours, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(key);
        var secret = ApiKeySecret.Generate();
        key.PreviousKeyHash = key.KeyHash;
        key.PreviousKeyPrefix = key.KeyPrefix;
        key.PreviousKeyExpiresAt = utcNow.AddHours(graceHours);
        key.KeyHash = secret.Hash;
        key.KeyPrefix = secret.DisplayPrefix;
        key.RotatedAt = utcNow;
        return secret.Plaintext;
    }
}
