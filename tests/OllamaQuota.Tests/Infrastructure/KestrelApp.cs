using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// One of our services, really started on Kestrel on a free loopback port (not the in-memory test server), with
/// its configuration given as the variables a user would set.
/// </summary>
public sealed class KestrelApp<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public KestrelApp(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        _settings = settings;
        _services = services;
        UseKestrel();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (name, value) in _settings)
        {
            builder.UseSetting(name, value);
        }

        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }
}
