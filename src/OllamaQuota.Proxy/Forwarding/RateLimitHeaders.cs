using System.Globalization;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>OpenAI's x-ratelimit-* headers for the tightest request and token windows; omitted where unlimited.</summary>
public static class RateLimitHeaders
{
    public static void Write(HttpResponse response, RateLimitStatus status)
    {
        Write(response, "requests", status.Requests);
        Write(response, "tokens", status.Tokens);
    }

    private static void Write(HttpResponse response, string kind, WindowStatus? window)
    {
        if (window is null)
        {
            return;
        }

        response.Headers[$"x-ratelimit-limit-{kind}"] = window.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers[$"x-ratelimit-remaining-{kind}"] = window.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers[$"x-ratelimit-reset-{kind}"] = Duration(window.ResetSeconds);
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
}
