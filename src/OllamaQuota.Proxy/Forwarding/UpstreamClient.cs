using System.Diagnostics;
using System.Net;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// The connection pool to Ollama that YARP's forwarder sends through: an <see cref="HttpMessageInvoker"/> (YARP
/// refuses an HttpClient, which buffers) over a <see cref="SocketsHttpHandler"/> with nothing between us and the
/// socket (no redirects, cookies, decompression or proxy).
/// </summary>
public sealed class UpstreamClient() : HttpMessageInvoker(
    new SocketsHttpHandler
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
    },
    disposeHandler: true);
