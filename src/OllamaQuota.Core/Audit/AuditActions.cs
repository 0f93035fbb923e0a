namespace OllamaQuota.Core.Audit;

/// <summary>The audited actions; a new kind of target (owners, quotas) adds its own "&lt;type&gt;.&lt;verb&gt;" names here.</summary>
public static class AuditActions
{
    public const string KeyTarget = "api_key";
    public const string SettingsTarget = "settings";
    public const string OwnerTarget = "owner";

    public const string KeyCreate = "api_key.create";
    public const string KeyUpdate = "api_key.update";
    public const string KeyDeactivate = "api_key.deactivate";
    public const string KeyReactivate = "api_key.reactivate";
    public const string KeyRotate = "api_key.rotate";
    public const string KeyDelete = "api_key.delete";

    /// <summary>A key moved to another owner, or left on its own (its owner_id and owner_name before → after).</summary>
    public const string KeyMove = "api_key.move";

    /// <summary>An owner created, through the owners API or the seed's <c>POST /api/users</c>.</summary>
    public const string OwnerCreate = "owner.create";

    /// <summary>An owner's name, contact or limits changed, through the owners API or the seed's <c>PUT /api/quotas/{user_id}</c>.</summary>
    public const string OwnerUpdate = "owner.update";

    public const string OwnerDelete = "owner.delete";
    public const string SettingsUpdate = "settings.update";

    public static readonly string[] All =
        [KeyCreate, KeyUpdate, KeyDeactivate, KeyReactivate, KeyRotate, KeyDelete, KeyMove, OwnerCreate, OwnerUpdate, OwnerDelete, SettingsUpdate];
}
