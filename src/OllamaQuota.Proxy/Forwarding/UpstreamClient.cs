using System.Diagnostics;
using System.Net;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// The connection pool to Ollama: an <see cref="HttpMessageInvoker"/> over a <see cref="SocketsHttpHandler"/>, as
/// YARP's forwarder uses, with nothing between us and the socket (no redirects, cookies, decompression or proxy).
/// </summary>
public sealed class UpstreamClient : IDisposable
{
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        EnableMultipleHttp2Connections = true,

        // A response abandoned mid-stream (the client left) must close its connection: draining it to reuse the
        // connection would let Ollama go on generating for nobody.
        MaxResponseDrainSize = 0,
        ActivityHeadersPropagator = DistributedContextPropagator.CreateDefaultPropagator(),
    }, disposeHandler: true);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _invoker.SendAsync(request, cancellationToken);

    public void Dispose() => _invoker.Dispose();
}
