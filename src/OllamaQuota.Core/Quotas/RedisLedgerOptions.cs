namespace OllamaQuota.Core.Quotas;

/// <summary>What a proxy does with a metered request while Redis, and with it the shared counters, is unreachable.</summary>
public enum QuotaFailMode
{
    /// <summary>Refuse with 503 and forward nothing: no request goes uncounted.</summary>
    Closed,

    /// <summary>Serve, counting in this process only, and log loudly: availability over exact shared limits.</summary>
    Open,
}

public sealed class RedisLedgerOptions
{
    public const string FailModeVariable = "QUOTA_FAIL_MODE";

    /// <summary><c>QUOTA_FAIL_MODE</c>: <c>closed</c> (default) or <c>open</c>.</summary>
    public QuotaFailMode FailMode { get; set; } = QuotaFailMode.Closed;

    public const string LeaseVariable = "QUOTA_LEASE_SECONDS";

    /// <summary>The shortest lease: renewed every third of it, a lease under 3 s would renew more than once a second.</summary>
    public const int MinLeaseSeconds = 3;

    public const int MaxLeaseSeconds = 300;

    /// <summary>
    /// <c>QUOTA_LEASE_SECONDS</c>: how long Redis holds a reservation, and the in-flight slot it takes, that nobody
    /// renews: what a killed proxy, or a reserve whose reply was lost, holds at most. Running requests renew theirs every
    /// third of it, one script call per key (see <see cref="RedisQuotaLedger"/>). Short, so a dead instance's slots come
    /// back within seconds; long enough that one missed renewal round (a GC pause, a slow Redis) loses nothing.
    /// </summary>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often open mode repeats its warning while it serves without Redis.</summary>
    public TimeSpan OutageWarningInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Parses <c>QUOTA_LEASE_SECONDS</c>; unset is 10 s, a value outside 3–300 stops the start naming the variable.</summary>
    public static TimeSpan ParseLease(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return TimeSpan.FromSeconds(10);
        }

        return int.TryParse(value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds is >= MinLeaseSeconds and <= MaxLeaseSeconds
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{LeaseVariable} '{value}' is not a whole number of seconds from {MinLeaseSeconds} to {MaxLeaseSeconds}.");
    }

    /// <summary>Parses <c>QUOTA_FAIL_MODE</c>; unset is closed, anything but closed/open stops the start naming the variable.</summary>
    public static QuotaFailMode ParseFailMode(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "closed" => QuotaFailMode.Closed,
        "open" => QuotaFailMode.Open,
        _ => throw new ArgumentException($"{FailModeVariable} '{value}' is not 'closed' or 'open'."),
    };
}
