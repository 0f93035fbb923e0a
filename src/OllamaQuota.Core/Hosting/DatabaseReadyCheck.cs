using Microsoft.Extensions.Hosting;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Hosting;

/// <summary>Refuses to start a service on a database that <c>init-db</c> has not migrated.</summary>
public sealed class DatabaseReadyCheck(DatabaseInitializer initializer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => initializer.EnsureReadyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
