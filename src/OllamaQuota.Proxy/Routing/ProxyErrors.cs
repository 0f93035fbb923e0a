using System.Globalization;
using System.Text.Json;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Proxy.Routing;

/// <summary>
/// Errors in the style of the API that was called: Ollama's <c>{"error":"…"}</c> on /api/*, OpenAI's
/// <c>{"error":{"message","type","param","code"}}</c> on /v1/*.
/// </summary>
public static class ProxyErrors
{
    public static Task WriteAsync(HttpContext context, ApiStyle style, int status, string message, string? openAiType = null, string? openAiCode = null, string? param = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        object body = style == ApiStyle.Ollama
            ? new { error = message }
            : new { error = new { message, type = openAiType ?? DefaultType(status), param, code = openAiCode } };
        return JsonSerializer.SerializeAsync(response.Body, body, cancellationToken: context.RequestAborted);
    }

    /// <summary>
    /// The 429 of a refused reserve: Retry-After, and the limit named as the Admin API names it (OpenAI's param), with
    /// <c>owner.</c> before it when it is the owner's (shared by the owner's keys), whose code is then
    /// <c>owner_rate_limit_exceeded</c>.
    /// </summary>
    public static Task WriteRetryAfterAsync(HttpContext context, ApiStyle style, QuotaRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        context.Response.Headers.RetryAfter = refusal.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, style, StatusCodes.Status429TooManyRequests, refusal.Message,
            refusal.Limit.IsTokens() ? "tokens" : "requests",
            refusal.Scope == QuotaScope.Owner ? "owner_rate_limit_exceeded" : "rate_limit_exceeded", refusal.Name);
    }

    /// <summary>503 for a request that waited out the queue for a model's slots (it was never sent to Ollama).</summary>
    public static Task WriteModelBusyAsync(HttpContext context, ApiStyle style, long retryAfterSeconds, string message)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, style, StatusCodes.Status503ServiceUnavailable, message, openAiCode: "model_busy");
    }

    public static ApiStyle StyleOf(PathString path) => path.StartsWithSegments("/v1") ? ApiStyle.OpenAi : ApiStyle.Ollama;

    private static string DefaultType(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status403Forbidden => "permission_error",
        StatusCodes.Status404NotFound => "not_found_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };
}
