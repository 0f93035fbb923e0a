using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OllamaQuota.Proxy.Telemetry;

/// <summary>
/// The proxy's own spans and metrics. A proxied request is one <c>proxy.request</c> span (under ASP.NET Core's
/// server span) with children for each step; attributes carry the key id, never the key.
/// </summary>
public sealed class ProxyTelemetry : IDisposable
{
    public const string Name = "OllamaQuota.Proxy";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _rejections;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Histogram<double> _ledgerDuration;

    public ProxyTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _requests = _meter.CreateCounter<long>("oq.proxy.requests", "{request}", "Proxied requests by endpoint and outcome");
        _tokens = _meter.CreateCounter<long>("oq.proxy.tokens", "{token}", "Tokens charged, by model and direction (prompt, completion)");
        _rejections = _meter.CreateCounter<long>("oq.proxy.rejections", "{request}", "Requests refused with 429, by the limit hit");
        _upstreamDuration = _meter.CreateHistogram<double>("oq.proxy.upstream.duration", "s", "From sending to Ollama to the end of its response");
        _timeToFirstChunk = _meter.CreateHistogram<double>("oq.proxy.upstream.time_to_first_chunk", "s", "From sending to Ollama to its first body chunk");
        _ledgerDuration = _meter.CreateHistogram<double>("oq.ledger.duration", "s", "Quota ledger calls, by operation (reserve, settle)");
    }

    public static ActivitySource Source { get; } = new(Name);

    /// <summary>A child span of the current request; null (and free) when nobody listens.</summary>
    public static Activity? StartStep(string name) => Source.StartActivity(name);

    /// <summary>A child span of <paramref name="request"/> while another of its steps is the current span.</summary>
    public static Activity? StartStep(string name, Activity? request) =>
        request is null ? null : Source.StartActivity(name, ActivityKind.Internal, request.Context);

    public void RecordOutcome(string endpoint, string outcome) =>
        _requests.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordTokens(string model, long prompt, long completion)
    {
        var modelTag = new KeyValuePair<string, object?>("model", model);
        _tokens.Add(prompt, modelTag, new KeyValuePair<string, object?>("direction", "prompt"));
        _tokens.Add(completion, modelTag, new KeyValuePair<string, object?>("direction", "completion"));
    }

    public void RecordRejection(string limit) => _rejections.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void RecordUpstream(TimeSpan duration) => _upstreamDuration.Record(duration.TotalSeconds);

    public void RecordTimeToFirstChunk(TimeSpan duration) => _timeToFirstChunk.Record(duration.TotalSeconds);

    public void RecordLedger(string operation, TimeSpan duration) =>
        _ledgerDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    public void Dispose() => _meter.Dispose();
}
