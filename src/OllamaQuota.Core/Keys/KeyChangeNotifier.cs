using System.Globalization;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Keys;

/// <summary>
/// Tells running proxies that a key or the settings changed, so they drop what they cached: always by bumping the
/// settings revision they poll, and in distributed mode also at once through <see cref="RedisKeyChangePublisher"/>.
/// </summary>
public sealed class KeyChangeNotifier(RedisKeyChangePublisher? publisher = null)
{
    public async Task KeyChangedAsync(QuotaDbContext db, ApiKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await db.BumpRevisionAsync(cancellationToken);
        await PublishAsync(string.Create(CultureInfo.InvariantCulture, $"key:{key.Id:D}"), cancellationToken);
    }

    /// <summary>An owner's limits or keys changed: every cached key of it is dropped (proxies drop them all at once).</summary>
    public async Task OwnerChangedAsync(QuotaDbContext db, Owner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await db.BumpRevisionAsync(cancellationToken);
        await PublishAsync(string.Create(CultureInfo.InvariantCulture, $"owner:{owner.Id:D}"), cancellationToken);
    }

    public async Task SettingsChangedAsync(QuotaDbContext db, CancellationToken cancellationToken)
    {
        await db.BumpRevisionAsync(cancellationToken);
        await PublishAsync("settings", cancellationToken);
    }

    // After the revision bump, so a proxy woken by the notice reads the new revision when it reloads.
    private Task PublishAsync(string change, CancellationToken cancellationToken) =>
        publisher?.PublishAsync(change, cancellationToken) ?? Task.CompletedTask;
}
