using OllamaQuota.Core.Settings;

namespace OllamaQuota.Proxy.Settings;

/// <summary>The admin-editable settings the proxy acts on, swapped whole when the admin changes them.</summary>
public sealed record UpstreamSettingsSnapshot(string OllamaUrl, string DefaultModel, long Revision, Guardrails Guardrails, FairShare FairShare);

public sealed class UpstreamSettings
{
    private UpstreamSettingsSnapshot? _current;

    /// <summary>Null only before <see cref="ChangeWatcher"/> has started, which is before any request.</summary>
    public UpstreamSettingsSnapshot? Loaded => Volatile.Read(ref _current);

    public UpstreamSettingsSnapshot Current => Loaded ?? throw new InvalidOperationException("Settings have not been loaded yet.");

    public void Set(UpstreamSettingsSnapshot snapshot) => Volatile.Write(ref _current, snapshot);
}
