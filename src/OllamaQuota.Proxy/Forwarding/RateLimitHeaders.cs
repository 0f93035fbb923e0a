using System.Globalization;
using System.Text;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// The rate-limit headers of a metered answer: OpenAI's x-ratelimit-* for the tightest request and token windows
/// (what OpenAI SDKs read), and beside them the IETF draft's <c>RateLimit-Policy</c> and <c>RateLimit</c>
/// (draft-ietf-httpapi-ratelimit-headers, structured-field lists) naming every limit that applies, the owner's as
/// <c>owner.&lt;field&gt;</c>. Omitted where unlimited.
/// </summary>
public static class RateLimitHeaders
{
    public static void Write(HttpResponse response, ReserveResult result)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(result);
        Write(response, RequestHeaders, result.Status.Requests);
        Write(response, TokenHeaders, result.Status.Tokens);
        if (result.Limits.Count == 0)
        {
            return;
        }

        response.Headers["RateLimit-Policy"] = Policy(result.Limits);
        response.Headers["RateLimit"] = Current(result.Limits);
    }

    /// <summary>
    /// Each limit as a policy item named by its Admin API field: <c>q</c> the quota, <c>qu</c> its unit and <c>w</c>
    /// the window in seconds, e.g. <c>"requests_per_minute";q=60;w=60, "daily_tokens";q=100000;qu="tokens";w=86400</c>.
    /// Requests are the draft's default unit; tokens are not one of its registered units, so a client that knows only
    /// those skips those items rather than misreading them; the in-flight limit is the draft's "concurrent-requests",
    /// which has no window.
    /// </summary>
    public static string Policy(IReadOnlyList<LimitStatus> limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var header = new StringBuilder();
        foreach (var limit in limits)
        {
            Item(header, limit).Append(";q=").Append(limit.Limit);
            if (limit.Kind == QuotaLimitKind.MaxConcurrentRequests)
            {
                header.Append(";qu=\"concurrent-requests\"");
                continue;
            }

            if (limit.Kind.IsTokens())
            {
                header.Append(";qu=\"tokens\"");
            }

            header.Append(";w=").Append(limit.WindowSeconds);
        }

        return header.ToString();
    }

    /// <summary>
    /// What is left of each limit: <c>r</c> the remaining quota and <c>t</c> the seconds until the window resets, e.g.
    /// <c>"requests_per_minute";r=12;t=30</c>; the in-flight limit has no reset.
    /// </summary>
    public static string Current(IReadOnlyList<LimitStatus> limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var header = new StringBuilder();
        foreach (var limit in limits)
        {
            Item(header, limit).Append(";r=").Append(limit.Remaining);
            if (limit.Kind != QuotaLimitKind.MaxConcurrentRequests)
            {
                header.Append(";t=").Append(limit.ResetSeconds);
            }
        }

        return header.ToString();
    }

    /// <summary>OpenAI's duration style: "59s", "6m0s", "2h3m4s".</summary>
    public static string Duration(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        var hours = (long)span.TotalHours;
        return hours > 0 ? $"{hours}h{span.Minutes}m{span.Seconds}s"
            : span.Minutes > 0 ? $"{span.Minutes}m{span.Seconds}s"
            : $"{span.Seconds}s";
    }

    private static StringBuilder Item(StringBuilder header, LimitStatus limit) =>
        (header.Length > 0 ? header.Append(", ") : header).Append('"').Append(limit.Name).Append('"');

    private static readonly (string Limit, string Remaining, string Reset) RequestHeaders =
        ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests");

    private static readonly (string Limit, string Remaining, string Reset) TokenHeaders =
        ("x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens");

    private static void Write(HttpResponse response, (string Limit, string Remaining, string Reset) names, WindowStatus? window)
    {
        if (window is null)
        {
            return;
        }

        response.Headers[names.Limit] = window.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers[names.Remaining] = window.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers[names.Reset] = Duration(window.ResetSeconds);
    }
}
