using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// Embedded mode's usage sink with a window on it: each event the proxy hands over is seen here at that moment, then
/// passed on to the channel as usual.
/// </summary>
public sealed class RecordingUsageSink(ChannelUsageSink channel) : IUsageSink
{
    public ConcurrentQueue<UsageEvent> Events { get; } = new();

    /// <summary>Puts a recording sink in front of the channel; the test finds it in the proxy's services.</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<RecordingUsageSink>();
        services.Replace(ServiceDescriptor.Singleton<IUsageSink>(provider => provider.GetRequiredService<RecordingUsageSink>()));
    }

    public ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken)
    {
        Events.Enqueue(usage);
        return channel.RecordAsync(usage, cancellationToken);
    }
}
