namespace OllamaQuota.Core.Audit;

/// <summary>The audited actions; a new kind of target (owners, quotas) adds its own "&lt;type&gt;.&lt;verb&gt;" names here.</summary>
public static class AuditActions
{
    public const string KeyTarget = "api_key";
    public const string SettingsTarget = "settings";

    public const string KeyCreate = "api_key.create";
    public const string KeyUpdate = "api_key.update";
    public const string KeyDeactivate = "api_key.deactivate";
    public const string KeyReactivate = "api_key.reactivate";
    public const string KeyRotate = "api_key.rotate";
    public const string KeyDelete = "api_key.delete";
    public const string SettingsUpdate = "settings.update";

    public static readonly string[] All = [KeyCreate, KeyUpdate, KeyDeactivate, KeyReactivate, KeyRotate, KeyDelete, SettingsUpdate];
}
