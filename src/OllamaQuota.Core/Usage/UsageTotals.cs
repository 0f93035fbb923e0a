namespace OllamaQuota.Core.Usage;

/// <summary>
/// Requests, tokens and GPU time over some window. Token limits apply to <see cref="Tokens"/> (prompt + completion);
/// GPU time is recorded, not limited (<see cref="GpuTime"/> says what it is, <paramref name="TimedRequests"/> how many
/// requests it covers).
/// </summary>
public sealed record UsageTotals(long Requests, long PromptTokens, long CompletionTokens, long GpuDurationNs = 0, long TimedRequests = 0)
{
    public static readonly UsageTotals Zero = new(0, 0, 0);

    public long Tokens => PromptTokens + CompletionTokens;
}

/// <summary>A key's usage today and this month (calendar windows in APP_TZ).</summary>
public sealed record KeyUsage(UsageTotals Today, UsageTotals Month)
{
    public static readonly KeyUsage Zero = new(UsageTotals.Zero, UsageTotals.Zero);
}

/// <summary>A key's usage in the current minute and hour (windows on APP_TZ's clock).</summary>
public sealed record RecentUsage(UsageTotals Minute, UsageTotals Hour)
{
    public static readonly RecentUsage Zero = new(UsageTotals.Zero, UsageTotals.Zero);
}
