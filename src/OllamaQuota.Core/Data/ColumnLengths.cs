namespace OllamaQuota.Core.Data;

/// <summary>
/// The most characters each text column holds. The EF model declares its columns with these, and every rule for
/// input that ends up in one refuses longer text with these, so that a value the API accepts is a value the
/// database takes. Changing one changes the schema: it needs a migration.
/// </summary>
public static class ColumnLengths
{
    public const int KeyName = 200;

    public const int OwnerName = 200;

    /// <summary>An owner's contact: an e-mail address (at most 254 by RFC 5321) or a short note.</summary>
    public const int OwnerContact = 320;

    public const int KeyPrefix = 32;

    public const int KeyHash = 64;

    public const int OllamaUrl = 2048;

    /// <summary>A model name: the settings' default model, and the model of every usage event and daily roll-up.</summary>
    public const int Model = 200;

    public const int Endpoint = 64;

    /// <summary>
    /// A key's allow-list as JSON: 64 entries of at most 200 characters that JSON never escapes (model names and
    /// patterns are ASCII letters, digits and _-.:/@*) come to at most 12,993; the Admin checks the list's size first.
    /// </summary>
    public const int AllowedModels = 16384;

    /// <summary>The num_ctx rules as JSON; the Admin checks the stored text's length.</summary>
    public const int NumCtxRules = 16384;

    /// <summary>The fair-share slot counts as JSON; the Admin checks the stored text's length.</summary>
    public const int ModelSlots = 16384;

    /// <summary>A dead letter's error: the database's answer, cut to this many characters.</summary>
    public const int DeadLetterError = 2000;

    /// <summary>Who made an audited change ("admin", "cli", later an owner's admin user).</summary>
    public const int AuditActor = 200;

    /// <summary>An IPv6 address in text is at most 45 characters; room for a zone id.</summary>
    public const int CallerAddress = 64;

    /// <summary>An audit action ("api_key.rotate") or target type ("api_key").</summary>
    public const int AuditAction = 64;

    /// <summary>An audited target's id: a key's GUID, later an owner's.</summary>
    public const int AuditTargetId = 64;
}
