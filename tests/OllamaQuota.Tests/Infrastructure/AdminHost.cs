using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Admin;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>The Admin service on Kestrel over a fresh, initialised database of the given kind.</summary>
public sealed class AdminHost : IAsyncDisposable
{
    public const string Password = "test-admin-password-123";

    private readonly KestrelApp<AdminOptions> _app;

    private AdminHost(KestrelApp<AdminOptions> app, string databaseUrl)
    {
        _app = app;
        DatabaseUrl = databaseUrl;
        Anonymous = app.CreateClient();
        Client = app.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Password);
    }

    public string DatabaseUrl { get; }

    /// <summary>Sends the admin password.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no credentials.</summary>
    public HttpClient Anonymous { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="existingDatabaseUrl">Starts over this initialised database instead of a fresh one.</param>
    public static async Task<AdminHost> StartAsync(
        DatabaseKind kind,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? existingDatabaseUrl = null)
    {
        var databaseUrl = existingDatabaseUrl ?? await TestDatabases.CreateInitializedAsync(kind, settings);
        var all = new Dictionary<string, string?>
        {
            ["ADMIN_PASSWORD"] = Password,
            ["ADMIN_HOST"] = "127.0.0.1",
            ["ADMIN_PORT"] = "0",
            ["DATABASE_URL"] = databaseUrl,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            all[name] = value;
        }

        var app = new KestrelApp<AdminOptions>(all, services);
        app.StartServer();
        return new AdminHost(app, databaseUrl);
    }

    public Task<QuotaDbContext> OpenDbAsync() => TestDatabases.OpenAsync(DatabaseUrl);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _app.DisposeAsync();
    }
}
