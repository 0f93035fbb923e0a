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

    /// <summary>
    /// How long Redis holds a reservation nobody renews: what a killed proxy, or a reserve whose reply was lost, holds
    /// at most. Running requests renew theirs every third of it (see <see cref="RedisQuotaLedger"/>).
    /// </summary>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often open mode repeats its warning while it serves without Redis.</summary>
    public TimeSpan OutageWarningInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Parses <c>QUOTA_FAIL_MODE</c>; unset is closed, anything but closed/open stops the start naming the variable.</summary>
    public static QuotaFailMode ParseFailMode(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "closed" => QuotaFailMode.Closed,
        "open" => QuotaFailMode.Open,
        _ => throw new ArgumentException($"{FailModeVariable} '{value}' is not 'closed' or 'open'."),
    };
}
