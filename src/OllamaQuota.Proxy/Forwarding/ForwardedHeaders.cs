using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>Which headers cross the proxy, each way.</summary>
public static class ForwardedHeaders
{
    // Hop-by-hop (RFC 9110 §7.6.1) and those the proxy owns: the caller's key never goes upstream, the body
    // length is recomputed, and Ollama is asked for plain bytes because the proxy reads the response to meter it.
    private static readonly HashSet<string> NotToUpstream = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Authorization", "Cookie", "Content-Length", "Content-Type", "Accept-Encoding", "Expect",
    };

    private static readonly HashSet<string> NotToClient = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
        "Upgrade", "Set-Cookie",
    };

    public static void CopyToUpstream(IHeaderDictionary from, HttpRequestMessage to)
    {
        foreach (var (name, values) in from)
        {
            if (NotToUpstream.Contains(name))
            {
                continue;
            }

            if (!to.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && to.Content is not null)
            {
                to.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }

    /// <param name="keepContentLength">False when the proxy may change the body (SSE events dropped).</param>
    public static void CopyToClient(HttpResponseMessage from, HttpResponse to, bool keepContentLength)
    {
        Copy(from.Headers);
        Copy(from.Content.Headers);

        void Copy(HttpHeaders headers)
        {
            foreach (var (name, values) in headers)
            {
                if (NotToClient.Contains(name) || (!keepContentLength && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                to.Headers[name] = new StringValues([.. values]);
            }
        }
    }
}
