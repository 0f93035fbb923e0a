using Microsoft.EntityFrameworkCore;

namespace OllamaQuota.Core.Data;

public static class RevisionExtensions
{
    /// <summary>Marks every cached key and setting stale for proxies that poll <see cref="SettingsRow.Revision"/>.</summary>
    public static Task BumpRevisionAsync(this QuotaDbContext db, CancellationToken cancellationToken) =>
        db.Settings.ExecuteUpdateAsync(s => s.SetProperty(row => row.Revision, row => row.Revision + 1), cancellationToken);
}
