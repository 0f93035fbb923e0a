using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

/// <summary>Tells running proxies that a key or the settings changed, so they drop what they cached.</summary>
public sealed class KeyChangeNotifier
{
    public Task KeyChangedAsync(QuotaDbContext db, ApiKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return db.BumpRevisionAsync(cancellationToken);
    }

    public Task SettingsChangedAsync(QuotaDbContext db, CancellationToken cancellationToken) =>
        db.BumpRevisionAsync(cancellationToken);
}
