using System.Buffers;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OllamaQuota.Proxy.Metering;
using OllamaQuota.Proxy.Routing;
using OllamaQuota.Proxy.Telemetry;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// One request to Ollama and its response back to the client, chunk by chunk: each read is written and flushed at
/// once, so the first token reaches the client as soon as Ollama sends it. One linked cancellation source ties the
/// upstream call to the client's connection; a response that breaks off is aborted, never ended as if complete.
/// </summary>
public sealed partial class Exchange(UpstreamClient upstream, ProxyTelemetry telemetry, TimeProvider time, IOptions<ProxyOptions> options, ILogger<Exchange> logger)
{
    private const int BufferSize = 16 * 1024;

    /// <param name="upstreamUrl">Ollama's URL for this request, query included.</param>
    /// <param name="meter">Watches the response (metered routes); null passes it through unread.</param>
    /// <param name="dropUsageChunk">Removes the usage-only SSE chunk the proxy asked for on the client's behalf.</param>
    public async Task<ExchangeResult> RunAsync(
        HttpContext context, ApiStyle style, string upstreamUrl, ReadOnlyMemory<byte>? body, ResponseMeter? meter, bool dropUsageChunk)
    {
        var aborted = context.RequestAborted;

        // 1. The upstream request: same method; our header rules; the (possibly rewritten) body.
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), upstreamUrl);
        if (body is { } content)
        {
            request.Content = new ReadOnlyMemoryContent(content);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        ForwardedHeaders.CopyToUpstream(context.Request.Headers, request);

        // 2. Send, waiting at most the upstream timeout for the response headers.
        using var span = ProxyTelemetry.StartStep("upstream");
        var sent = time.GetTimestamp();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        cancel.CancelAfter(options.Value.UpstreamTimeout);
        HttpResponseMessage response;
        try
        {
            response = await upstream.SendAsync(request, cancel.Token);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return new ExchangeResult(ExchangeOutcome.ClientAborted, StatusCodes.Status499ClientClosedRequest);
        }
        catch (OperationCanceledException)
        {
            LogUpstreamTimeout(upstreamUrl, options.Value.UpstreamTimeout);
            await ProxyErrors.WriteAsync(context, style, StatusCodes.Status504GatewayTimeout,
                $"Ollama did not answer within {options.Value.UpstreamTimeout.TotalSeconds:0} seconds.");
            return new ExchangeResult(ExchangeOutcome.UpstreamUnavailable, StatusCodes.Status504GatewayTimeout);
        }
        catch (HttpRequestException e)
        {
            LogUpstreamUnreachable(e, upstreamUrl);
            await ProxyErrors.WriteAsync(context, style, StatusCodes.Status502BadGateway, $"Ollama is unreachable: {e.Message}");
            return new ExchangeResult(ExchangeOutcome.UpstreamUnavailable, StatusCodes.Status502BadGateway);
        }

        using (response)
        {
            // Once it answers, a generation may stream for as long as it takes.
            cancel.CancelAfter(Timeout.InfiniteTimeSpan);
            var status = (int)response.StatusCode;
            var sse = response.Content.Headers.ContentType?.MediaType == "text/event-stream";

            // 3. Status and headers to the client, then the body as it arrives.
            context.Response.StatusCode = status;
            ForwardedHeaders.CopyToClient(response, context.Response, keepContentLength: !sse || meter is null);
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            span?.SetTag("http.response.status_code", status);
            var result = await StreamAsync(context, response, status, sse ? null : meter, sse && meter is not null ? new SseFilter(meter, dropUsageChunk) : null, sent, cancel.Token);
            telemetry.RecordUpstream(time.GetElapsedTime(sent));
            span?.SetTag("oq.outcome", result.Outcome.ToString());
            return result;
        }
    }

    private async Task<ExchangeResult> StreamAsync(
        HttpContext context, HttpResponseMessage response, int status, ResponseMeter? lineMeter, SseFilter? sse, long sent, CancellationToken cancellationToken)
    {
        var aborted = context.RequestAborted;
        var lines = lineMeter is null ? null : new NdjsonSplitter(lineMeter);
        var events = sse is null ? null : new ArrayBufferWriter<byte>();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var first = true;
        try
        {
            await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(buffer, cancellationToken);
                }
                catch (OperationCanceledException) when (aborted.IsCancellationRequested)
                {
                    return new ExchangeResult(ExchangeOutcome.ClientAborted, status);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    LogUpstreamBroke(e);
                    context.Abort();
                    return new ExchangeResult(ExchangeOutcome.UpstreamBroke, status);
                }

                if (read == 0)
                {
                    break;
                }

                if (first)
                {
                    telemetry.RecordTimeToFirstChunk(time.GetElapsedTime(sent));
                    first = false;
                }

                ReadOnlyMemory<byte> chunk = buffer.AsMemory(0, read);
                if (sse is not null)
                {
                    sse.Process(chunk.Span, events!);
                    chunk = events!.WrittenMemory;
                }
                else
                {
                    lines?.Observe(chunk.Span);
                }

                if (!await WriteAsync(context, chunk, aborted))
                {
                    return new ExchangeResult(ExchangeOutcome.ClientAborted, status);
                }

                events?.Clear();
            }

            lines?.Complete();
            if (sse is not null)
            {
                sse.Complete(events!);
                if (!await WriteAsync(context, events!.WrittenMemory, aborted))
                {
                    return new ExchangeResult(ExchangeOutcome.ClientAborted, status);
                }
            }

            return new ExchangeResult(ExchangeOutcome.Completed, status);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes and flushes; false when the client has gone.</summary>
    private static async Task<bool> WriteAsync(HttpContext context, ReadOnlyMemory<byte> chunk, CancellationToken aborted)
    {
        if (chunk.IsEmpty)
        {
            return true;
        }

        try
        {
            await context.Response.Body.WriteAsync(chunk, aborted);
            await context.Response.Body.FlushAsync(aborted);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Ollama at {Upstream} is unreachable")]
    private partial void LogUpstreamUnreachable(Exception exception, string upstream);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Ollama at {Upstream} sent no response within {Timeout}")]
    private partial void LogUpstreamTimeout(string upstream, TimeSpan timeout);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Ollama's response broke off mid-stream; the client's response was aborted")]
    private partial void LogUpstreamBroke(Exception exception);
}
