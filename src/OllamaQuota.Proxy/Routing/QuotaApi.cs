using System.Text.Json;
using System.Text.Json.Serialization;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Proxy.Keys;

namespace OllamaQuota.Proxy.Routing;

/// <summary>
/// <c>GET /quota</c>: the calling key's limits, usage and what is left in every window, its owner's alike, when each
/// window resets, requests in flight and the models it may use, so that a client can check before a batch instead of
/// running into 429s. Authenticated with the key like every proxy route, it shows that key's (and its owner's) counters
/// only; it is read-only (nothing is counted, reserved or recorded), and the counts are those the next reserve decides
/// on.
/// </summary>
public static class QuotaApi
{
    public const string Path = "/quota";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static WebApplication MapQuotaApi(this WebApplication app)
    {
        app.MapGet(Path, GetQuota).WithName(Path).WithTags("Quota");
        return app;
    }

    public static async Task GetQuota(HttpContext context, ApiKeyAuthenticator authenticator, IQuotaLedger ledger)
    {
        var aborted = context.RequestAborted;
        var authentication = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization, aborted);
        if (authentication.Key is not { } key)
        {
            await ProxyErrors.WriteAsync(context, ApiStyle.Ollama, StatusCodes.Status401Unauthorized, authentication.Error!, openAiCode: "invalid_api_key");
            return;
        }

        QuotaSnapshot snapshot;
        try
        {
            snapshot = await ledger.ReadAsync(key.Reserve(0, null, generatesText: false), aborted);
        }
        catch (RedisLedgerUnavailableException)
        {
            await ProxyErrors.WriteAsync(context, ApiStyle.Ollama, StatusCodes.Status503ServiceUnavailable, RedisLedgerUnavailableException.ClientMessage);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(QuotaResponse.From(key, snapshot), Json, aborted);
    }
}

/// <param name="Owner">The key's owner, whose limits apply across all of its keys; absent for a key on its own.</param>
/// <param name="AllowedModels">The models and patterns the key may use; empty: every model.</param>
/// <param name="Windows">Each window counted for the key and its owner, shortest first, requests and tokens.</param>
public sealed record QuotaResponse(
    QuotaKeyResponse Key,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] QuotaOwnerResponse? Owner,
    IReadOnlyList<string> AllowedModels,
    IReadOnlyList<QuotaWindowResponse> Windows,
    IReadOnlyList<QuotaInFlightResponse> InFlight)
{
    public static QuotaResponse From(CachedKey key, QuotaSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(snapshot);
        var request = key.Reserve(0, null, generatesText: false);
        var windows = new List<QuotaWindowResponse>(snapshot.Windows.Count * 2);
        for (var i = 0; i < snapshot.Windows.Count; i++)
        {
            var window = snapshot.Windows[i];
            var count = snapshot.Counts[i];
            var limits = QuotaRules.LimitsOf(request, window.Scope);
            windows.Add(QuotaWindowResponse.From(window, window.Period.RequestLimit(), limits, count.Requests, snapshot.Now));
            windows.Add(QuotaWindowResponse.From(window, window.Period.TokenLimit(), limits, count.Tokens, snapshot.Now));
        }

        List<QuotaInFlightResponse> inFlight = [new(QuotaScope.Key.ToWire(), key.Limits.MaxConcurrentRequests, snapshot.InFlight.Key)];
        if (key.Owner is { } owner)
        {
            inFlight.Add(new(QuotaScope.Owner.ToWire(), owner.Limits.MaxConcurrentRequests, snapshot.InFlight.Owner));
        }

        return new QuotaResponse(
            new QuotaKeyResponse(key.Name, key.Prefix), key.Owner is { } o ? new QuotaOwnerResponse(o.Name) : null, key.AllowedModels,
            windows, inFlight);
    }
}

public sealed record QuotaKeyResponse(string Name, string Prefix);

public sealed record QuotaOwnerResponse(string Name);

/// <param name="Scope"><c>key</c> or <c>owner</c>.</param>
/// <param name="Limit">The limit's field name, e.g. <c>daily_tokens</c>.</param>
/// <param name="LimitValue">Its amount; null when unlimited.</param>
/// <param name="Used">Counted in the window so far, including what requests in flight hold.</param>
/// <param name="Remaining">What is left; null when unlimited.</param>
/// <param name="ResetsAt">When the window ends (UTC).</param>
public sealed record QuotaWindowResponse(
    string Scope, string Limit, long? LimitValue, long Used, long? Remaining, DateTime ResetsAt, long ResetSeconds)
{
    public static QuotaWindowResponse From(CountedWindow window, QuotaLimitKind kind, Core.Keys.QuotaLimits limits, long used, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var amount = limits.Amount(kind);
        return new QuotaWindowResponse(
            window.Scope.ToWire(), kind.ToWire(), amount, used, amount is { } max ? Math.Max(0, max - used) : null,
            window.Window.End, window.Window.SecondsUntilEnd(now));
    }
}

/// <param name="Limit">The most requests that may be in flight at once; null when unlimited.</param>
public sealed record QuotaInFlightResponse(string Scope, long? Limit, long Used);
