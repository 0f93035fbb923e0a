using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Models;
using OllamaQuota.Proxy.Metering;
using OllamaQuota.Proxy.Routing;
using OllamaQuota.Proxy.Settings;
using OllamaQuota.Proxy.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// One request to Ollama and its response back to the client, through YARP's <see cref="IHttpForwarder"/>: the
/// <see cref="UpstreamTransformer"/> decides what crosses each way, the <see cref="MeteringResponseStream"/> watches the
/// response as it streams, and YARP's error (a value) becomes one of our outcomes. The client's connection cancels the
/// upstream call; a response that breaks off is aborted, never ended as if complete.
/// </summary>
public sealed partial class UpstreamForwarder(
    IHttpForwarder forwarder,
    UpstreamClient upstream,
    UpstreamSettings settings,
    ProxyTelemetry telemetry,
    TimeProvider time,
    IOptions<ProxyOptions> options,
    ILogger<UpstreamForwarder> logger)
{
    // UPSTREAM_TIMEOUT_SECONDS bounds the wait for Ollama's response headers (loading a model is slow); once it answers,
    // a generation streams for as long as it takes, long pauses included (a slow model working out a tool call). YARP's
    // activity timeout would cut a stream at its first long pause, so it is off and the header wait is timed here.
    private static readonly ForwarderRequestConfig Config = new() { ActivityTimeout = Timeout.InfiniteTimeSpan };

    /// <param name="body">The request body to send (as the proxy read and perhaps rewrote it); null sends none (the GET
    /// routes take none, and one sent anyway is not Ollama's to receive).</param>
    /// <param name="metering">Watches the response (metered routes); null passes it through unread.</param>
    /// <param name="modelList">For a model list seen by a key with an allow-list: the models to leave in it.</param>
    public async Task<ForwardResult> ForwardAsync(
        HttpContext context, ProxyEndpoint endpoint, ReadOnlyMemory<byte>? body, ResponseMetering? metering, ModelAccess? modelList = null)
    {
        var ollamaUrl = settings.Current.OllamaUrl;
        using var span = ProxyTelemetry.StartStep("upstream");
        var sent = time.GetTimestamp();
        using var headerWait = new CancellationTokenSource(options.Value.UpstreamTimeout);
        var transformer = new UpstreamTransformer(
            endpoint, UpstreamPath(context, endpoint), body, metering, modelList,
            onResponseHeaders: () => headerWait.CancelAfter(Timeout.InfiniteTimeSpan),
            onFirstChunk: () => telemetry.RecordTimeToFirstChunk(time.GetElapsedTime(sent)));

        // 1. Only what the route takes. Never a tunnel: YARP forwards an upgrade request (a WebSocket handshake; HTTP/2's
        // extended CONNECT) as one, and splices the client's connection to Ollama's if Ollama agrees; without these
        // features it is the plain request it also is, answered as such (a server may ignore Upgrade, RFC 9110 §7.8).
        // And no body on the GET routes: YARP would send on one that a client sent anyway.
        context.Features.Set<IHttpUpgradeFeature>(null);
        context.Features.Set<IHttpExtendedConnectFeature>(null);
        if (body is null)
        {
            context.Features.Set<IHttpRequestBodyDetectionFeature>(NoRequestBody.Instance);
        }

        // 2. Send, and copy the response back through the metering body. YARP links the client's connection and the
        // header wait into one cancellation source for the upstream call.
        var clientBody = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, ollamaUrl, upstream, Config, transformer, headerWait.Token);
        }
        finally
        {
            // Our own error bodies go to the client unmetered.
            context.Features.Set(clientBody);
        }

        // 3. YARP's outcome as ours.
        var timedOut = headerWait.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested;
        var result = await ConcludeAsync(context, endpoint.Style, ollamaUrl, error, timedOut, transformer);
        if (transformer.UpstreamStatus is { } status)
        {
            telemetry.RecordUpstream(time.GetElapsedTime(sent));
            span?.SetTag("http.response.status_code", status);
        }

        span?.SetTag("oq.outcome", result.Outcome.ToString());
        return result;
    }

    /// <summary>The same path on Ollama; /api/versions is an alias of Ollama's /api/version.</summary>
    private static PathString UpstreamPath(HttpContext context, ProxyEndpoint endpoint) =>
        endpoint.Kind == EndpointKind.Version ? endpoint.Path : context.Request.Path;

    private async Task<ForwardResult> ConcludeAsync(
        HttpContext context, ApiStyle style, string ollamaUrl, ForwarderError error, bool timedOut, UpstreamTransformer transformer)
    {
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        var status = transformer.UpstreamStatus ?? StatusCodes.Status499ClientClosedRequest;
        switch (error)
        {
            case ForwarderError.None:
                var delivered = await transformer.CompleteResponseAsync(context.RequestAborted);
                return new ForwardResult(delivered ? ForwardOutcome.Completed : ForwardOutcome.ClientAborted, status);

            // The header wait ran out (YARP reports our token's cancellation as RequestCanceled), or the connection
            // attempt timed out.
            case ForwarderError.RequestCanceled when timedOut:
            case ForwarderError.RequestTimedOut:
                var timeout = options.Value.UpstreamTimeout;
                LogUpstreamTimeout(ollamaUrl, timeout);
                await TellClientAsync(StatusCodes.Status504GatewayTimeout, $"Ollama did not answer within {timeout.TotalSeconds:0} seconds.");
                return new ForwardResult(ForwardOutcome.UpstreamUnavailable, StatusCodes.Status504GatewayTimeout);

            // The client left, before Ollama answered or while it streamed: YARP cancelled the upstream call, and the
            // connection it abandoned is closed (see UpstreamClient), which stops the generation.
            case ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
                or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient:
                LogClientLeft(error);
                return new ForwardResult(ForwardOutcome.ClientAborted, status);

            // Ollama's response broke off: YARP has aborted the client's response if it had started; if not, the client
            // can still be told.
            case ForwarderError.ResponseBodyDestination:
                LogUpstreamBroke(exception);
                await TellClientAsync(StatusCodes.Status502BadGateway, "Ollama's response broke off.");
                return new ForwardResult(ForwardOutcome.UpstreamBroke, status);

            case ForwarderError.Request or ForwarderError.RequestBodyDestination:
                LogUpstreamUnreachable(exception, ollamaUrl);
                await TellClientAsync(StatusCodes.Status502BadGateway, $"Ollama is unreachable: {exception?.Message}");
                return new ForwardResult(ForwardOutcome.UpstreamUnavailable, StatusCodes.Status502BadGateway);

            // The request could not be built, or Ollama's response could not be passed on.
            default:
                LogForwardingFailed(exception, ollamaUrl, error);
                await TellClientAsync(StatusCodes.Status502BadGateway, $"The request could not be forwarded to Ollama ({error}).");
                return new ForwardResult(ForwardOutcome.UpstreamUnavailable, StatusCodes.Status502BadGateway);
        }

        // YARP has set the status (and cleared what it had copied of Ollama's response); the body is ours to write, in
        // the caller's API style, unless the response is already under way.
        Task TellClientAsync(int errorStatus, string message) =>
            context.Response.HasStarted ? Task.CompletedTask : ProxyErrors.WriteAsync(context, style, errorStatus, message);
    }

    /// <summary>What YARP asks to learn whether to send the client's body on: there is none to send.</summary>
    private sealed class NoRequestBody : IHttpRequestBodyDetectionFeature
    {
        public static readonly NoRequestBody Instance = new();

        public bool CanHaveBody => false;
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Ollama at {Upstream} is unreachable")]
    private partial void LogUpstreamUnreachable(Exception? exception, string upstream);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Ollama at {Upstream} sent no response within {Timeout}")]
    private partial void LogUpstreamTimeout(string upstream, TimeSpan timeout);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Ollama's response broke off; the client's response was aborted if it had started")]
    private partial void LogUpstreamBroke(Exception? exception);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Debug, Message = "The client left before the response was complete ({Error}); the upstream call was cancelled")]
    private partial void LogClientLeft(ForwarderError error);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Forwarding to Ollama at {Upstream} failed: {Error}")]
    private partial void LogForwardingFailed(Exception? exception, string upstream, ForwarderError error);
}
