namespace OllamaQuota.Core.Data;

/// <summary>
/// A key's requests in flight in an embedded-mode proxy, as it last published them (see
/// <see cref="Quotas.InFlightSnapshotWriter"/>), so the Admin, another process, can show them. Only keys with requests in
/// flight have a row; distributed mode reads Redis instead and leaves this table empty.
/// </summary>
public sealed class InFlightRow
{
    public Guid KeyId { get; set; }
    public long Requests { get; set; }
    public DateTime UpdatedAt { get; set; }
}
