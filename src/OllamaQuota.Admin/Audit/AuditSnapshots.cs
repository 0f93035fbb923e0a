using System.Text.Json;
using System.Text.Json.Nodes;
using OllamaQuota.Admin.Activity;
using OllamaQuota.Admin.Apis;
using OllamaQuota.Core.Audit;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Admin.Audit;

/// <summary>
/// What the audit log records of a target: its Admin API representation, so the log uses the API's field names and
/// a field added to the API is audited without more code. That representation never holds a hash, and the plaintext
/// only when asked for, which these snapshots never do.
/// </summary>
internal static class AuditSnapshots
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static AuditTarget Target(ApiKey key) => new(AuditActions.KeyTarget, key.Id.ToString("D"), key.Name);

    public static AuditTarget Target(Owner owner) => new(AuditActions.OwnerTarget, owner.Id.ToString("D"), owner.Name);

    public static readonly AuditTarget Settings = new(AuditActions.SettingsTarget, null, null);

    /// <summary>What is left of a deleted owner: nothing, so that each of its fields shows as before → null.</summary>
    public static JsonObject Gone => [];

    public static JsonObject Of(ApiKey key, DateTime utcNow)
    {
        var snapshot = JsonSerializer.SerializeToNode(ApiKeyResponse.From(key, KeyActivity.None, utcNow), Json)!.AsObject();
        // The id is the target's; usage and requests in flight are not something an admin changes.
        snapshot.Remove("id");
        snapshot.Remove("usage");
        snapshot.Remove("in_flight");
        return snapshot;
    }

    public static JsonObject Of(Owner owner)
    {
        var snapshot = JsonSerializer.SerializeToNode(OwnerResponse.From(owner, [], KeyActivity.None, owner.CreatedAt), Json)!.AsObject();
        // Its keys are audited on each key (api_key.move); usage and requests in flight are not something an admin changes.
        snapshot.Remove("id");
        snapshot.Remove("keys");
        snapshot.Remove("key_count");
        snapshot.Remove("usage");
        snapshot.Remove("in_flight");
        return snapshot;
    }

    public static JsonObject Of(SettingsRow settings)
    {
        var snapshot = JsonSerializer.SerializeToNode(SettingsResponse.From(settings), Json)!.AsObject();
        snapshot["ollama_url"] = WithoutPassword(settings.OllamaUrl);
        return snapshot;
    }

    /// <summary>An Ollama URL may carry basic-auth credentials; the log keeps the user name, never the password.</summary>
    private static string WithoutPassword(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal)
            ? new UriBuilder(uri) { Password = "***" }.Uri.ToString().TrimEnd('/')
            : url;
}
