using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Tokens;
using OllamaQuota.Core.Usage;
using OllamaQuota.Proxy.Keys;
using OllamaQuota.Proxy.Metering;
using OllamaQuota.Proxy.Requests;
using OllamaQuota.Proxy.Routing;
using OllamaQuota.Proxy.Scheduling;
using OllamaQuota.Proxy.Settings;
using OllamaQuota.Proxy.Telemetry;

namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// A request through the proxy (DESIGN §3): authenticate, parse just enough, reserve, wait for a model slot (where the
/// admin capped them), forward, measure, settle, record. Refusals before the reserve change nothing; after it, every
/// path settles exactly once: as soon as Ollama's answer is whole, before its last bytes go to the client, or when
/// forwarding ends if it never was.
/// </summary>
public sealed partial class ProxyPipeline(
    ApiKeyAuthenticator authenticator,
    UpstreamSettings settings,
    IQuotaLedger ledger,
    IUsageSink usage,
    UpstreamForwarder forwarder,
    IModelSlots modelSlots,
    ProxyTelemetry telemetry,
    TimeProvider time,
    IOptions<ProxyOptions> options,
    IOptions<QuotaOptions> quotaOptions,
    ILogger<ProxyPipeline> logger)
{
    /// <summary>
    /// The pause a request that waited out the queue is told to take: short, as the queue moves whenever any generation
    /// of the model ends, and a retry joins it in the next round of the rotation.
    /// </summary>
    public const int QueueRetryAfterSeconds = 5;

    public async Task HandleAsync(HttpContext context, ProxyEndpoint endpoint)
    {
        var started = time.GetTimestamp();
        var aborted = context.RequestAborted;
        using var span = ProxyTelemetry.StartStep("proxy.request");
        span?.SetTag("oq.endpoint", endpoint.Path);

        // 1. Authenticate.
        AuthenticationResult authentication;
        using (ProxyTelemetry.StartStep("authenticate"))
        {
            authentication = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization, aborted);
        }

        if (authentication.Key is not { } key)
        {
            Outcome(span, endpoint, "unauthorized");
            await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status401Unauthorized, authentication.Error!, openAiCode: "invalid_api_key");
            return;
        }

        span?.SetTag("oq.key_id", key.Id);

        // 2. Parse just enough: the headers that go upstream must be sendable, the body (if any) must be valid JSON.
        if (UpstreamTransformer.FindUnsendableHeader(context.Request.Headers) is { } header)
        {
            Outcome(span, endpoint, "bad_request");
            await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status400BadRequest,
                $"The header '{header}' cannot be forwarded: header values may hold only visible ASCII characters, spaces and tabs.");
            return;
        }

        if (!endpoint.HasBody)
        {
            if (endpoint.Kind == EndpointKind.Models && context.Request.RouteValues["model"] is string named && !key.Models.Allows(named))
            {
                Outcome(span, endpoint, "model_not_allowed");
                await RefuseModelAsync(context, endpoint, named);
                return;
            }

            // A list of models is filtered to the key's; one model (GET /v1/models/{model}) was checked above.
            var isList = endpoint.Kind is EndpointKind.Tags || (endpoint.Kind is EndpointKind.Models && !context.Request.RouteValues.ContainsKey("model"));
            var modelList = key.Models.AllowsAll || !isList ? null : key.Models;
            var passed = await forwarder.ForwardAsync(context, endpoint, null, null, modelList);
            Outcome(span, endpoint, passed.Outcome.ToString());
            return;
        }

        using var body = await BoundedBody.ReadAsync(context.Request, options.Value.MaxBodyBytes, aborted);
        if (body is null)
        {
            Outcome(span, endpoint, "too_large");
            await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status413PayloadTooLarge,
                $"The request body is larger than {options.Value.MaxBodyBytes} bytes.");
            return;
        }

        var (document, invalid) = StrictJson.Parse(body.Memory);
        if (document is null)
        {
            Outcome(span, endpoint, "bad_request");
            await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status400BadRequest, invalid!);
            return;
        }

        using (document)
        {
            // One reading of the admin's settings for the whole request, so that a change mid-request applies whole.
            var current = settings.Current;
            var (request, error) = RequestParser.Parse(endpoint, document.RootElement, current.DefaultModel);
            if (request is null)
            {
                Outcome(span, endpoint, "bad_request");
                await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status400BadRequest, error!.Message, param: error.Param);
                return;
            }

            span?.SetTag("oq.model", request.Model);

            // The key's allow-list, before anything is reserved or forwarded; the default model is held to it too.
            if (!key.Models.Allows(request.Model))
            {
                Outcome(span, endpoint, "model_not_allowed");
                await RefuseModelAsync(context, endpoint, request.Model);
                return;
            }

            // The admin's guardrails: what they refuse is refused before anything is reserved.
            var (changes, guarded) = RequestGuardrails.Apply(endpoint, document.RootElement, request, current.Guardrails);
            if (guarded is not null)
            {
                Outcome(span, endpoint, "guardrail");
                await ProxyErrors.WriteAsync(context, endpoint.Style, guarded.Status, guarded.Message, openAiCode: guarded.Code, param: guarded.Param);
                return;
            }

            if (!endpoint.Metered)
            {
                var passed = await forwarder.ForwardAsync(
                    context, endpoint, BodyRewriter.Rewrite(endpoint, document.RootElement, request, null) ?? body.Memory, null);
                Outcome(span, endpoint, passed.Outcome.ToString());
                return;
            }

            // 3. Reserve: one atomic check of every limit of the key and its owner (each window, the in-flight slot). With QUOTA_FAIL_MODE=closed and Redis unreachable the
            // request cannot be counted, so it is not served. A large prompt's bound is replaced by its count near a limit.
            ReserveResult reserve;
            using (var reserveSpan = ProxyTelemetry.StartStep("reserve"))
            {
                try
                {
                    (reserve, request) = await ReserveAsync(key, endpoint, request, document.RootElement, aborted);
                }
                catch (RedisLedgerUnavailableException)
                {
                    Outcome(span, endpoint, "quota_unavailable");
                    await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status503ServiceUnavailable, RedisLedgerUnavailableException.ClientMessage);
                    await RecordRefusalAsync(key.Id, endpoint, request, UsageCounting.UnavailableStatus, started);
                    return;
                }

                reserveSpan?.SetTag("oq.tokens.prompt_estimate", request.PromptTokens);
                reserveSpan?.SetTag("oq.tokens.prompt_bound", request.PromptIsBound);
                reserveSpan?.SetTag("oq.allowed", reserve.Allowed);
            }

            RateLimitHeaders.Write(context.Response, reserve);
            if (reserve.Reservation is not { } reservation)
            {
                var refusal = reserve.Refusal!;
                span?.SetTag("oq.limit", refusal.Name);
                telemetry.RecordRejection(refusal.Name);
                Outcome(span, endpoint, "rate_limited");
                await ProxyErrors.WriteRetryAfterAsync(context, endpoint.Style, refusal);
                await RecordRefusalAsync(key.Id, endpoint, request, UsageCounting.RateLimitedStatus, started);
                return;
            }

            var meter = new ResponseMeter();
            Task<(int Prompt, int Completion, bool Charged)>? settled = null;

            // 3b. Where the model's slots are capped, wait for this key's turn. After the reserve, so that a request the
            // quota refuses takes no place in the queue (and a waiting one counts towards its key's limits, which bounds
            // how much of the queue one key can fill); before the forward, so that a waiting request holds no slot.
            ModelSlot? slot = null;
            var fairShare = current.FairShare;
            if (fairShare.Slots.For(request.Model) is { } slots)
            {
                var (admitted, left) = await WaitForSlotAsync(context, key.Id, request.Model, slots, fairShare.QueueTimeout);
                if (admitted is null)
                {
                    await SettleOnceAsync(left);
                    Outcome(span, endpoint, left.Outcome == ForwardOutcome.ClientAborted ? "queue_left" : "queue_timeout");
                    if (left.Outcome != ForwardOutcome.ClientAborted)
                    {
                        await ProxyErrors.WriteModelBusyAsync(context, endpoint.Style, QueueRetryAfterSeconds,
                            $"The model '{request.Model}' is busy: no slot came free within {fairShare.QueueTimeout.TotalSeconds:0} seconds.");
                    }

                    return;
                }

                slot = admitted;
            }

            // 4. Forward, with the allowance written into the body; 5. measure as it streams back; 6. settle and
            // 7. record once: when the answer is whole, before its last bytes leave (a client that holds its answer is
            // then a billed one, whatever happens to this process next), or else once forwarding has ended, even if the
            // client has gone. The model slot (if any) is held until Ollama's response has ended, however it ends.
            Task<(int Prompt, int Completion, bool Charged)> SettleOnceAsync(ForwardResult result) =>
                settled ??= SettleAsync(span, key.Id, endpoint, request, document.RootElement, reservation, result, meter, started);

            ForwardResult result;
            try
            {
                var metering = new ResponseMetering(meter, request.ProxyAsksUsage,
                    status => SettleOnceAsync(new ForwardResult(ForwardOutcome.Completed, status)));
                var rewritten = BodyRewriter.Rewrite(endpoint, document.RootElement, request, reservation, changes);
                result = await forwarder.ForwardAsync(context, endpoint, rewritten ?? body.Memory, metering);
            }
            finally
            {
                slot?.Release();
            }

            var (prompt, completion, charged) = await SettleOnceAsync(result);
            span?.SetTag("oq.tokens.prompt", prompt);
            span?.SetTag("oq.tokens.completion", completion);
            telemetry.RecordTokens(request.Model, prompt, completion);
            Outcome(span, endpoint, charged ? result.Outcome.ToString() : "refunded");
        }
    }

    /// <summary>
    /// A slot of the model, or null with what to settle: the wait ran out (503, as Ollama was never asked) or the client
    /// left while waiting (it leaves the queue at once).
    /// </summary>
    private async Task<(ModelSlot? Slot, ForwardResult Left)> WaitForSlotAsync(
        HttpContext context, Guid keyId, string model, int slots, TimeSpan timeout)
    {
        using var queueSpan = ProxyTelemetry.StartStep("queue");
        queueSpan?.SetTag("oq.model_slots", slots);
        try
        {
            var slot = await modelSlots.AcquireAsync(
                ModelPattern.ShortForm(model), keyId, slots, timeout, context.RequestAborted);
            queueSpan?.SetTag("oq.admitted", slot is not null);
            return (slot, new ForwardResult(ForwardOutcome.UpstreamUnavailable, StatusCodes.Status503ServiceUnavailable));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            queueSpan?.SetTag("oq.admitted", false);
            return (null, new ForwardResult(ForwardOutcome.ClientAborted, StatusCodes.Status499ClientClosedRequest));
        }
    }

    /// <summary>
    /// The reserve, decided on the prompt's exact count wherever its bound could decide otherwise; returns the request
    /// as reserved. A bound is never below the count, so a bound that fits every limit means the count fits too, and
    /// gets the same allowance unless the room left after the prompt set it. Otherwise the request is within the
    /// bound's distance of a limit: refused for tokens, or granted with an allowance the bound cut. There the prompt is
    /// counted and reserved once more, the bound's grant given back first (refunded: no request, no tokens counted),
    /// so the decision, the allowance and the headers are those of the count (Tokens/README.md, "Exact count or bound").
    /// </summary>
    private async Task<(ReserveResult Result, ParsedRequest Request)> ReserveAsync(
        CachedKey key, ProxyEndpoint endpoint, ParsedRequest request, JsonElement root, CancellationToken aborted)
    {
        var bounded = key.Reserve(request.PromptTokens, request.RequestedCompletionTokens, endpoint.GeneratesText);
        var result = await ReserveOnceAsync(bounded, aborted);
        if (!request.PromptIsBound)
        {
            return (result, request);
        }

        var nearLimit = result.Reservation is { } granted
            ? QuotaRules.AllowanceCutByRoom(bounded, granted, quotaOptions.Value.MaxCompletionTokens)
            : result.Refusal!.Limit.IsTokens();
        if (!nearLimit)
        {
            return (result, request);
        }

        var counted = request with { PromptTokens = RequestParser.CountPromptExactly(endpoint, root), PromptIsBound = false };
        if (result.Reservation is { } bound)
        {
            await SettleLedgerAsync(bound, 0, refund: true, key.Id);
        }

        return (await ReserveOnceAsync(key.Reserve(counted.PromptTokens, counted.RequestedCompletionTokens, endpoint.GeneratesText), aborted), counted);
    }

    private async Task<ReserveResult> ReserveOnceAsync(ReserveRequest reserveRequest, CancellationToken aborted)
    {
        var reserveStarted = time.GetTimestamp();
        var result = await ledger.ReserveAsync(reserveRequest, aborted);
        telemetry.RecordLedger("reserve", time.GetElapsedTime(reserveStarted));
        return result;
    }

    private static Task RefuseModelAsync(HttpContext context, ProxyEndpoint endpoint, string model) =>
        ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status403Forbidden,
            $"This API key may not use the model '{model}'.", openAiCode: "model_not_allowed", param: "model");

    private void Outcome(Activity? span, ProxyEndpoint endpoint, string outcome)
    {
        span?.SetTag("oq.outcome", outcome);
        telemetry.RecordOutcome(endpoint.Path, outcome);
    }

    /// <summary>
    /// Settles the reservation and records the usage event, both even if the client has gone. Returns the tokens
    /// charged (zero when refunded).
    /// </summary>
    private async Task<(int Prompt, int Completion, bool Charged)> SettleAsync(
        Activity? requestSpan, Guid keyId, ProxyEndpoint endpoint, ParsedRequest request, JsonElement root, Reservation reservation,
        ForwardResult result, ResponseMeter meter, long started)
    {
        // A step of the request, though it may run inside the forward (the upstream step is then the current span).
        using var span = ProxyTelemetry.StartStep("settle", requestSpan);
        var (charged, status) = Charge(result, meter);
        // Without Ollama's count (a cached prompt, an abort), the prompt is charged at its exact count, never its bound.
        var prompt = !charged ? 0
            : meter.PromptTokens ?? (int)Math.Min(request.PromptIsBound ? RequestParser.CountPromptExactly(endpoint, root) : request.PromptTokens, int.MaxValue);
        var completion = !charged ? 0
            : meter.CompletionTokens ?? (endpoint.GeneratesText ? Cl100kTokenizer.Instance.CountTokens(meter.GeneratedText) : 0);
        var usageEvent = NewUsageEvent(keyId, endpoint, request, status, started);
        usageEvent.PromptTokens = prompt;
        usageEvent.CompletionTokens = completion;

        // As Ollama measured them, charged or not: the GPU did the work either way.
        usageEvent.TotalDurationNs = meter.Durations.Total;
        usageEvent.LoadDurationNs = meter.Durations.Load;
        usageEvent.PromptEvalDurationNs = meter.Durations.PromptEval;
        usageEvent.EvalDurationNs = meter.Durations.Eval;

        // Side by side: in distributed mode each is a Redis command, and the client's last bytes wait for both, so they
        // go out together on the one connection and cost one round trip, not two.
        await Task.WhenAll(SettleLedgerAsync(reservation, prompt + completion, !charged, keyId), RecordAsync(usageEvent));
        span?.SetTag("oq.tokens.prompt", prompt);
        span?.SetTag("oq.tokens.completion", completion);
        span?.SetTag("oq.refunded", !charged);
        return (prompt, completion, charged);
    }

    private async Task SettleLedgerAsync(Reservation reservation, long tokens, bool refund, Guid keyId)
    {
        try
        {
            var settleStarted = time.GetTimestamp();
            await ledger.SettleAsync(reservation, tokens, refund, CancellationToken.None);
            telemetry.RecordLedger("settle", time.GetElapsedTime(settleStarted));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogSettleFailed(e, keyId);
        }
    }

    /// <summary>
    /// Records a request the proxy refused before forwarding: no tokens, nothing settled (nothing was reserved), marked
    /// <see cref="UsageEvent.Refused"/>. Its error status keeps it out of the requests the quotas count (see
    /// <see cref="UsageCounting"/>); the overview and the request log show it. Written after the answer, so the
    /// client does not wait for it.
    /// </summary>
    private Task RecordRefusalAsync(Guid keyId, ProxyEndpoint endpoint, ParsedRequest request, int status, long started)
    {
        var refusal = NewUsageEvent(keyId, endpoint, request, status, started);
        refusal.Refused = true;
        return RecordAsync(refusal);
    }

    /// <summary>A usage event of the request, ending now, with no tokens yet.</summary>
    private UsageEvent NewUsageEvent(Guid keyId, ProxyEndpoint endpoint, ParsedRequest request, int status, long started) => new()
    {
        Id = Guid.CreateVersion7(),
        KeyId = keyId,
        Model = request.Model,
        Endpoint = endpoint.Path,
        StatusCode = status,
        DurationMs = (int)time.GetElapsedTime(started).TotalMilliseconds,
        CreatedAt = time.GetUtcNow().UtcDateTime,
    };

    private async Task RecordAsync(UsageEvent usageEvent)
    {
        try
        {
            await usage.RecordAsync(usageEvent, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRecordFailed(e, usageEvent.KeyId);
        }
    }

    /// <summary>
    /// Whether the request is charged, and the status its usage event records. Refunded exactly when the upstream
    /// produced nothing; those events carry an error status, which is how the roll-ups leave them uncounted too.
    /// </summary>
    private static (bool Charged, int Status) Charge(ForwardResult result, ResponseMeter meter)
    {
        var produced = meter.ProducedOutput || meter.CompletionTokens > 0;
        return result.Outcome switch
        {
            ForwardOutcome.Completed when result.Status >= 400 => (false, result.Status),
            ForwardOutcome.Completed when meter.StreamError is not null && !produced => (false, StatusCodes.Status502BadGateway),
            ForwardOutcome.Completed => (true, result.Status),
            ForwardOutcome.UpstreamUnavailable => (false, result.Status),
            ForwardOutcome.UpstreamBroke => produced ? (true, result.Status) : (false, StatusCodes.Status502BadGateway),
            ForwardOutcome.ClientAborted when produced && result.Status < 400 => (true, result.Status),
            ForwardOutcome.ClientAborted => (false, StatusCodes.Status499ClientClosedRequest),
            _ => throw new UnreachableException(),
        };
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Settling the quota reservation of key {KeyId} failed")]
    private partial void LogSettleFailed(Exception exception, Guid keyId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Recording the usage of key {KeyId} failed")]
    private partial void LogRecordFailed(Exception exception, Guid keyId);
}
