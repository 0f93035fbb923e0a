using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Proxy;
using OllamaQuota.Proxy.Settings;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// The proxy on Kestrel in embedded mode, over a fresh initialised database whose Ollama URL points at a fresh
/// <see cref="FakeOllama"/>. Usage is flushed every 50 ms and admin changes polled every 100 ms, so tests wait little.
/// </summary>
public sealed class ProxyHost : IAsyncDisposable
{
    private readonly KestrelApp<ProxyOptions> _app;
    private readonly bool _ownsOllama;

    private ProxyHost(KestrelApp<ProxyOptions> app, string databaseUrl, FakeOllama ollama, bool ownsOllama)
    {
        _app = app;
        DatabaseUrl = databaseUrl;
        Ollama = ollama;
        _ownsOllama = ownsOllama;
        Anonymous = app.CreateClient();
    }

    public string DatabaseUrl { get; }

    public FakeOllama Ollama { get; }

    public HttpClient Anonymous { get; }

    public Uri BaseAddress => Anonymous.BaseAddress!;

    public IServiceProvider Services => _app.Services;

    /// <param name="clock">Replaces the proxy's clock (quota windows), if given.</param>
    /// <param name="existingDatabaseUrl">Starts over this database (a restart, or another instance) instead of a fresh one.</param>
    /// <param name="sharedOllama">Forwards to this fake, which the caller owns (several instances in front of one Ollama).</param>
    /// <param name="services">Changes the proxy's services after its own registrations.</param>
    public static async Task<ProxyHost> StartAsync(
        DatabaseKind kind = DatabaseKind.Sqlite,
        ManualTimeProvider? clock = null,
        IDictionary<string, string?>? settings = null,
        string timeZone = "Europe/Berlin",
        string? existingDatabaseUrl = null,
        FakeOllama? sharedOllama = null,
        Action<IServiceCollection>? services = null)
    {
        var ollama = sharedOllama ?? await FakeOllama.StartAsync();
        var all = new Dictionary<string, string?>
        {
            ["OLLAMA_URL"] = ollama.Url,
            ["DEFAULT_MODEL"] = "llama3",
            ["PROXY_HOST"] = "127.0.0.1",
            ["PROXY_PORT"] = "0",
            ["APP_TZ"] = timeZone,
            ["CHANGE_POLL_MS"] = "100",
            ["USAGE_FLUSH_MS"] = "50",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            all[name] = value;
        }

        var databaseUrl = existingDatabaseUrl ?? await TestDatabases.CreateInitializedAsync(kind, all);
        if (existingDatabaseUrl is not null)
        {
            await using var db = await TestDatabases.OpenAsync(existingDatabaseUrl);
            await db.Settings.ExecuteUpdateAsync(s => s.SetProperty(row => row.OllamaUrl, ollama.Url));
        }

        all["DATABASE_URL"] = databaseUrl;
        var app = new KestrelApp<ProxyOptions>(all, s =>
        {
            if (clock is not null)
            {
                s.AddSingleton<TimeProvider>(clock);
                s.AddSingleton(new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById(timeZone), clock));
            }

            services?.Invoke(s);
        });
        app.StartServer();
        return new ProxyHost(app, databaseUrl, ollama, ownsOllama: sharedOllama is null);
    }

    /// <summary>A new key in the database, as the Admin would create it; returns its id and plaintext.</summary>
    public async Task<(Guid Id, string Key)> CreateKeyAsync(
        QuotaLimits? limits = null, DateTime? expiresAt = null, string[]? allowedModels = null, Guid? ownerId = null)
    {
        var (record, plaintext) = ApiKeyFactory.Create("test", limits ?? QuotaLimits.Unlimited, expiresAt, DateTime.UtcNow);
        record.AllowedModels = allowedModels;
        record.OwnerId = ownerId;
        await using var db = await OpenDbAsync();
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync();
        return (record.Id, plaintext);
    }

    /// <summary>A new owner in the database, as the Admin would create it.</summary>
    public async Task<Guid> CreateOwnerAsync(QuotaLimits limits)
    {
        await using var db = await OpenDbAsync();
        return await TestOwners.CreateAsync(db, limits);
    }

    public HttpClient ClientFor(string key)
    {
        // Without draining, disposing a response mid-stream closes the connection, as a client that goes away does.
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public Task<QuotaDbContext> OpenDbAsync() => TestDatabases.OpenAsync(DatabaseUrl);

    /// <summary>Changes the settings row as the Admin does (its revision bumped), waits until this proxy has loaded it, and returns the revision.</summary>
    public async Task<long> ChangeSettingsAsync(Action<SettingsRow> change)
    {
        long revision;
        await using (var db = await OpenDbAsync())
        {
            var row = await db.Settings.SingleAsync();
            change(row);
            row.Revision++;
            revision = row.Revision;
            await db.SaveChangesAsync();
        }

        await WaitForSettingsAsync(revision);
        return revision;
    }

    /// <summary>Waits until this proxy has loaded the settings of <paramref name="revision"/> (or a later one).</summary>
    public async Task WaitForSettingsAsync(long revision)
    {
        var settings = Services.GetRequiredService<UpstreamSettings>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (settings.Current.Revision < revision && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(settings.Current.Revision >= revision, $"the proxy did not load settings revision {revision}");
    }

    /// <summary>
    /// Waits for the usage writer to have stored <paramref name="count"/> events of forwarded requests, then returns them
    /// (the events of refusals are left out).
    /// </summary>
    public async Task<List<UsageEvent>> WaitForUsageAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            await using var db = await OpenDbAsync();
            var events = await db.UsageEvents.AsNoTracking().Where(e => !e.Refused).ToListAsync();
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        await _app.DisposeAsync();
        if (_ownsOllama)
        {
            await Ollama.DisposeAsync();
        }
    }
}
