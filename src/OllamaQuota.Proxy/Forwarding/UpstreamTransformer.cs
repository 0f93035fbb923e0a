using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.InteropServices;
using Microsoft.Net.Http.Headers;
using OllamaQuota.Core.Models;
using OllamaQuota.Proxy.Access;
using OllamaQuota.Proxy.Metering;
using OllamaQuota.Proxy.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// What crosses the proxy for one request, each way. YARP's base transformer copies the headers both ways, leaving out
/// the hop-by-hop ones (RFC 9110 §7.6.1); this one also leaves out those the proxy owns, has the body the proxy read
/// sent instead of the client's, and puts the metering body in front of the client's response.
/// </summary>
/// <remarks>
/// No <c>X-Forwarded-*</c> or <c>Forwarded</c> headers are added (this derives from the bare
/// <see cref="HttpTransformer"/>, not <see cref="HttpTransformer.Default"/>): Ollama makes no use of them, and the
/// callers' addresses are not Ollama's to log.
/// </remarks>
/// <param name="endpoint">The route called.</param>
/// <param name="upstreamPath">The path on Ollama (the query is the client's).</param>
/// <param name="body">The body to send instead of the client's (read, and perhaps rewritten, by the proxy); null sends
/// none (the GET routes take none).</param>
/// <param name="metering">Watches the response (metered routes); null passes it through unread.</param>
/// <param name="modelList">For a model list seen by a key with an allow-list: the models to leave in it.</param>
/// <param name="onResponseHeaders">Called when Ollama's response headers arrive.</param>
/// <param name="onFirstChunk">Called when the first chunk of Ollama's response body arrives.</param>
public sealed class UpstreamTransformer(
    ProxyEndpoint endpoint,
    PathString upstreamPath,
    ReadOnlyMemory<byte>? body,
    ResponseMetering? metering,
    ModelAccess? modelList,
    Action onResponseHeaders,
    Action onFirstChunk) : HttpTransformer
{
    // The caller's key and cookies never go upstream; Host is Ollama's; Ollama is asked for plain bytes because the
    // proxy reads the response to meter it; an Expect was the proxy's to answer, and it has read the body already.
    private static readonly FrozenSet<string> NotForwarded =
        FrozenSet.Create(StringComparer.OrdinalIgnoreCase, "Host", "Authorization", "Cookie", "Accept-Encoding", "Expect");

    // Visible ASCII, space and horizontal tab. Kestrel decodes header bytes as UTF-8 and lets control characters other
    // than NUL, CR and LF through; HttpClient refuses to send non-ASCII, and Ollama refuses control characters.
    private static readonly SearchValues<char> Sendable = SearchValues.Create(['\t', .. Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c)]);

    private ResponseBodyStream? _responseBody;

    /// <summary>Ollama's status, once its response headers have arrived.</summary>
    public int? UpstreamStatus { get; private set; }

    /// <summary>The first client header that would be forwarded but whose value cannot be sent on; null if none.</summary>
    public static string? FindUnsendableHeader(IHeaderDictionary headers)
    {
        foreach (var (name, values) in headers)
        {
            if (NotForwarded.Contains(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value.AsSpan().ContainsAnyExcept(Sendable))
                {
                    return name;
                }
            }
        }

        return null;
    }

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        if (body is { } bytes)
        {
            // YARP sends the body it finds on the incoming request (it refuses a replaced HttpContent), so the body the
            // proxy read, and may have rewritten, goes back there with headers that describe it: the client's stream is
            // spent, and a body that came chunked now has a length.
            var request = httpContext.Request;
            request.Body = MemoryMarshal.TryGetArray(bytes, out var array)
                ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
                : new MemoryStream(bytes.ToArray(), writable: false);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
            request.Headers.Remove(HeaderNames.TransferEncoding);
        }

        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        foreach (var name in NotForwarded)
        {
            proxyRequest.Headers.Remove(name);
        }

        if (body is null)
        {
            // YARP gives a request without a body an empty content to carry the client's content headers (a GET's
            // Content-Length or Content-Type); there is no body to describe.
            proxyRequest.Content = null;
        }

        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, upstreamPath, httpContext.Request.QueryString);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            return false;
        }

        onResponseHeaders();
        var status = (int)proxyResponse.StatusCode;
        UpstreamStatus = status;
        if (!await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken))
        {
            return false;
        }

        var response = httpContext.Response;

        // A cookie Ollama set would be set for the proxy's origin, which every caller shares.
        response.Headers.Remove(HeaderNames.SetCookie);
        var mediaType = proxyResponse.Content.Headers.ContentType?.MediaType;
        if (mediaType == "text/event-stream" && metering is not null)
        {
            // An event may be taken out of the stream, so its length is no longer Ollama's.
            response.Headers.ContentLength = null;
        }

        if (modelList is not null && proxyResponse.IsSuccessStatusCode)
        {
            // The filtered list is shorter than Ollama's; its length is set once it is known.
            response.Headers.ContentLength = null;
            _responseBody = new ModelListResponseStream(httpContext, response.Body, endpoint, modelList, onFirstChunk);
            response.Body = _responseBody;
            return true;
        }

        _responseBody = metering is null
            ? new MeteringResponseStream(response.Body, null, mediaType, dropUsageChunk: false, onFirstChunk, beforeLastBytes: null)
            : new MeteringResponseStream(
                response.Body, metering.Meter, mediaType, metering.DropUsageChunk, onFirstChunk, () => metering.BeforeLastBytes(status));
        response.Body = _responseBody;
        return true;
    }

    /// <summary>
    /// Once YARP has copied the whole response: see <see cref="MeteringResponseStream.CompleteAsync"/> and
    /// <see cref="ModelListResponseStream.CompleteAsync"/>.
    /// </summary>
    public Task<bool> CompleteResponseAsync(CancellationToken cancellationToken) =>
        _responseBody?.CompleteAsync(cancellationToken) ?? Task.FromResult(true);
}
