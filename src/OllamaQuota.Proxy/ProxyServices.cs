using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Core.Usage;
using OllamaQuota.Proxy.Forwarding;
using OllamaQuota.Proxy.Keys;
using OllamaQuota.Proxy.Scheduling;
using OllamaQuota.Proxy.Settings;
using OllamaQuota.Proxy.Telemetry;

namespace OllamaQuota.Proxy;

public static class ProxyServices
{
    /// <summary>Embedded mode: the in-process ledger and the channel-fed usage writer.</summary>
    public static WebApplicationBuilder AddProxy(this WebApplicationBuilder builder)
    {
        ListenAddress.Apply(builder, "PROXY", "0.0.0.0", 8000);
        var configuration = builder.Configuration;
        var services = builder.Services;

        services.AddOptions<ProxyOptions>().Configure<IConfiguration>(ProxyOptions.Bind);
        services.AddOptions<QuotaOptions>().Configure<IConfiguration>((quota, config) =>
            quota.MaxCompletionTokens = ProxyOptions.Read(config, "QUOTA_MAX_COMPLETION_TOKENS", (int)quota.MaxCompletionTokens));
        services.AddOptions<UsageWriterOptions>().Configure<IConfiguration>((writer, config) =>
            writer.FlushInterval = TimeSpan.FromMilliseconds(ProxyOptions.Read(config, "USAGE_FLUSH_MS", (int)writer.FlushInterval.TotalMilliseconds)));

        // Read once now so that a bad number stops the start with a message naming its variable.
        ProxyOptions.Bind(new ProxyOptions(), configuration);

        builder.AddQuotaDatabase();
        services.AddHostedService<DatabaseReadyCheck>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(QuotaCalendar.FromConfiguration(configuration, TimeProvider.System));

        services.AddSingleton<KeyCache>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<UpstreamSettings>();
        services.AddHostedService<ChangeWatcher>();
        services.AddHttpClient(OllamaHealthCheck.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(2));
        services.AddHealthChecks().AddCheck<OllamaHealthCheck>("ollama");

        services.AddSingleton<IQuotaBaseline, DatabaseQuotaBaseline>();
        services.AddSingleton<InProcessQuotaLedger>();
        services.AddSingleton<IQuotaLedger>(provider => provider.GetRequiredService<InProcessQuotaLedger>());
        services.AddHostedService<InFlightSnapshotWriter>();
        services.AddSingleton<UsageStore>();
        services.AddSingleton<UsageTelemetry>();
        services.AddSingleton<ChannelUsageSink>();
        services.AddSingleton<IUsageSink>(provider => provider.GetRequiredService<ChannelUsageSink>());
        services.AddHostedService<UsageBatchWriter>();

        services.AddSingleton<ProxyTelemetry>();
        services.AddHttpForwarder();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<UpstreamForwarder>();
        services.AddSingleton<InProcessModelSlots>();
        services.AddSingleton<IModelSlots>(provider => provider.GetRequiredService<InProcessModelSlots>());
        services.AddSingleton<ProxyPipeline>();

        // YARP's forwarder logs two lines at Information for every request (the per-request cost the service defaults
        // turn off for ASP.NET Core) and each failure at Warning, client disconnects included. UpstreamForwarder logs
        // each failure itself, in the proxy's words and event ids, with client disconnects at Debug.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.Error);

        // ASP.NET Core starts an Activity for every request whenever its hosting category logs at any level (for the
        // trace id in log scopes), and HttpClient then starts a child for the upstream call and sends its traceparent:
        // a few per cent of the proxy's CPU per request (bench/RESULTS.md, issue 16). The category logs only each request's
        // start and end (Information, already filtered out); failures to start are the host's own category. With
        // OpenTelemetry on, its listener starts the same Activities, so traces are unchanged.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.AddDistributedModeIfConfigured();

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
            kestrel.Limits.MaxRequestBodySize = kestrel.ApplicationServices.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxBodyBytes + 1L);
        return builder;
    }
}
