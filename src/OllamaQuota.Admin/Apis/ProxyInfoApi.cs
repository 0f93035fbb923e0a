using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Admin.Apis;

public sealed record ProxyInfoResponse(string BaseUrl, string OpenaiBaseUrl, IReadOnlyDictionary<string, string> Examples);

public static class ProxyInfoApi
{
    public static RouteGroupBuilder MapProxyInfoApi(this RouteGroupBuilder api)
    {
        api.MapGet("/proxy-info", GetProxyInfo).WithName("GetProxyInfo").WithTags("Proxy");
        return api;
    }

    /// <summary>
    /// The URL clients should call: <c>PROXY_PUBLIC_URL</c> when set, else the host the admin is browsing with
    /// and the proxy's port.
    /// </summary>
    public static Ok<ProxyInfoResponse> GetProxyInfo(HttpRequest request, IOptions<AdminOptions> options)
    {
        var baseUrl = options.Value.ProxyPublicUrl ?? $"http://{request.Host.Host}:{options.Value.ProxyPort}";
        var examples = new Dictionary<string, string>
        {
            ["curl_ollama"] = $$"""
                curl {{baseUrl}}/api/chat \
                  -H "Authorization: Bearer $OLLAMA_QUOTA_KEY" \
                  -d '{"model": "llama3", "messages": [{"role": "user", "content": "Hello"}], "stream": false}'
                """,
            ["curl_openai"] = $$"""
                curl {{baseUrl}}/v1/chat/completions \
                  -H "Authorization: Bearer $OLLAMA_QUOTA_KEY" \
                  -H "Content-Type: application/json" \
                  -d '{"model": "llama3", "messages": [{"role": "user", "content": "Hello"}]}'
                """,
        };
        return TypedResults.Ok(new ProxyInfoResponse(baseUrl, $"{baseUrl}/v1", examples));
    }
}
