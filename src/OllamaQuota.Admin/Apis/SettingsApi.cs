using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OllamaQuota.Admin.Audit;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Settings;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Admin.Apis;

/// <param name="MaxKeepAlive">The longest keep_alive a key may ask for, in seconds; null: no cap.</param>
/// <param name="NumCtx">The num_ctx rules (see <see cref="NumCtxRules"/>); null: none.</param>
/// <param name="ModelSlots">The fair-share slot counts (see <see cref="ModelSlotRules"/>); null: no model is scheduled.</param>
/// <param name="QueueTimeoutSeconds">The longest wait for a model slot; null: <see cref="FairShare.DefaultQueueTimeoutSeconds"/>.</param>
/// <param name="UsageRetentionDays">Usage events older than this many days are deleted (roll-ups are kept); null: kept forever.</param>
public sealed record SettingsResponse(
    string OllamaUrl,
    string DefaultModel,
    long? MaxKeepAlive,
    JsonElement? NumCtx,
    int? MaxImagesPerRequest,
    long? MaxImageBytes,
    JsonElement? ModelSlots,
    int? QueueTimeoutSeconds,
    int? UsageRetentionDays)
{
    public static SettingsResponse From(SettingsRow row) => new(
        row.OllamaUrl,
        row.DefaultModel,
        row.MaxKeepAliveSeconds,
        row.NumCtxRules is null ? null : JsonElement.Parse(row.NumCtxRules),
        row.MaxImagesPerRequest,
        row.MaxImageBytes,
        row.ModelSlots is null ? null : JsonElement.Parse(row.ModelSlots),
        row.QueueTimeoutSeconds,
        row.UsageRetentionDays);
}

public static class SettingsApi
{
    /// <summary>The most images one request may be allowed to carry.</summary>
    private const int MostImagesPerRequest = 1000;

    private static readonly string[] Fields = ["ollama_url", "default_model", "max_keep_alive", "num_ctx", "max_images_per_request", "max_image_bytes",
        "model_slots", "queue_timeout_seconds", "usage_retention_days"];

    public static RouteGroupBuilder MapSettingsApi(this RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings").WithTags("Settings");
        settings.MapGet("/", GetSettings).WithName("GetSettings");
        settings.MapPut("/", UpdateSettings).WithName("UpdateSettings");
        return api;
    }

    public static async Task<Ok<SettingsResponse>> GetSettings(
        IDbContextFactory<QuotaDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return TypedResults.Ok(SettingsResponse.From(await db.Settings.AsNoTracking().SingleAsync(cancellationToken)));
    }

    /// <summary>Any field may be left out, and a guardrail set to null is off; what is sent must be valid or nothing changes.</summary>
    public static async Task<Results<Ok<SettingsResponse>, ValidationProblem, ProblemHttpResult>> UpdateSettings(
        HttpContext http,
        IDbContextFactory<QuotaDbContext> contexts,
        QuotaCalendar calendar,
        KeyChangeNotifier notifier,
        IOptions<AdminOptions> options,
        CancellationToken cancellationToken)
    {
        var (fields, error) = await JsonBody.ReadFieldsAsync(http.Request, options.Value.MaxBodyBytes, Fields, cancellationToken);
        if (fields is null)
        {
            return error!;
        }

        var changes = new List<Action<SettingsRow>>();
        if (fields.TryGetString("ollama_url", out var url))
        {
            if (SettingsValidation.CheckOllamaUrl(url) is { } urlError)
            {
                fields.AddError("ollama_url", urlError);
            }

            changes.Add(row => row.OllamaUrl = SettingsValidation.NormalizeOllamaUrl(url!));
        }

        if (fields.TryGetString("default_model", out var model))
        {
            if (SettingsValidation.CheckDefaultModel(model) is { } modelError)
            {
                fields.AddError("default_model", modelError);
            }

            changes.Add(row => row.DefaultModel = model!.Trim());
        }

        if (fields.TryGetElement("max_keep_alive", out var keepAliveElement))
        {
            var (keepAlive, keepAliveError) = MaxKeepAlive(keepAliveElement);
            if (keepAliveError is not null)
            {
                fields.AddError("max_keep_alive", keepAliveError);
            }

            changes.Add(row => row.MaxKeepAliveSeconds = keepAlive);
        }

        if (fields.TryGetElement("num_ctx", out var numCtxElement))
        {
            var (rules, rulesError) = NumCtxRules.Parse(numCtxElement, "num_ctx");
            if ((rulesError ?? rules?.CheckStoredLength("num_ctx")) is { } numCtxError)
            {
                fields.AddError("num_ctx", numCtxError);
            }

            changes.Add(row => row.NumCtxRules = rules!.ToStored());
        }

        if (fields.TryGetLimit("max_images_per_request", out var maxImages))
        {
            if (maxImages > MostImagesPerRequest)
            {
                fields.AddError("max_images_per_request", $"must be at most {MostImagesPerRequest}, or null for no limit");
            }

            changes.Add(row => row.MaxImagesPerRequest = (int?)maxImages);
        }

        if (fields.TryGetLimit("max_image_bytes", out var maxImageBytes))
        {
            changes.Add(row => row.MaxImageBytes = maxImageBytes);
        }

        if (fields.TryGetElement("model_slots", out var slotsElement))
        {
            var (slots, slotsError) = ModelSlotRules.Parse(slotsElement, "model_slots");
            if ((slotsError ?? slots?.CheckStoredLength("model_slots")) is { } modelSlotsError)
            {
                fields.AddError("model_slots", modelSlotsError);
            }

            changes.Add(row => row.ModelSlots = slots!.ToStored());
        }

        if (fields.TryGetLimit("queue_timeout_seconds", out var queueTimeout))
        {
            if (queueTimeout is < 1 or > FairShare.LongestQueueTimeoutSeconds)
            {
                fields.AddError("queue_timeout_seconds",
                    $"must be a whole number of seconds from 1 to {FairShare.LongestQueueTimeoutSeconds}, or null for the default ({FairShare.DefaultQueueTimeoutSeconds})");
            }

            changes.Add(row => row.QueueTimeoutSeconds = (int?)queueTimeout);
        }

        if (fields.TryGetLimit("usage_retention_days", out var retentionDays))
        {
            if (UsageRetention.Check(retentionDays) is { } retentionError)
            {
                fields.AddError("usage_retention_days", retentionError);
            }

            changes.Add(row => row.UsageRetentionDays = (int?)retentionDays);
        }

        if (!fields.HasErrors && changes.Count == 0)
        {
            fields.AddError("body", $"name at least one of {string.Join(", ", Fields)}");
        }

        if (fields.HasErrors)
        {
            return TypedResults.ValidationProblem(fields.Errors, title: "The settings were not changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Settings.SingleAsync(cancellationToken);
        var before = AuditSnapshots.Of(row);
        changes.ForEach(change => change(row));
        var now = calendar.UtcNow;
        if (AuditTrail.Record(db, AuditCaller.Of(http), AuditActions.SettingsUpdate, AuditSnapshots.Settings, before, AuditSnapshots.Of(row), now))
        {
            await db.SaveChangesAsync(cancellationToken);
            await notifier.SettingsChangedAsync(db, cancellationToken);
        }

        return TypedResults.Ok(SettingsResponse.From(row));
    }

    /// <summary>A duration string or a number of seconds, from one second to a year; null: no cap.</summary>
    private static (long? Seconds, string? Error) MaxKeepAlive(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        var requirement = $"must be {OllamaDuration.Requirement}, from 1 second to {Guardrails.LongestKeepAliveSeconds / 86400} days, or null for no cap";
        return OllamaDuration.Seconds(value) is { } seconds && seconds >= 1 && seconds <= Guardrails.LongestKeepAliveSeconds
            ? ((long)seconds, null)
            : (null, requirement);
    }
}
