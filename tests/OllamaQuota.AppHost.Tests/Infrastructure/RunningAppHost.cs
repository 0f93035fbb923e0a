using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.AppHost.Tests.Infrastructure;

/// <summary>
/// The real AppHost, started once for every test of the collection, in its existing-servers mode: the throwaway
/// PostgreSQL and redis-server of the main suite and the fake Ollama stand in for the containers, which this
/// machine cannot run. DCP starts init-db, the proxy and the admin as it would under <c>dotnet run</c>; only the
/// Admin UI's dev server is left out (it needs npm packages and the fixed port 5173; its wiring has a test of its own).
/// </summary>
public sealed class RunningAppHost : IAsyncLifetime
{
    public const string AdminPassword = "apphost-tests-password";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private RedisServerFixture? _redis;
    private IDistributedApplicationTestingBuilder? _builder;
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    public FakeOllama Ollama => _ollama ?? throw new InvalidOperationException("The fake Ollama has not started.");

    private FakeOllama? _ollama;

    /// <summary>The connection strings the AppHost was given, as the services must receive them.</summary>
    public string DatabaseConnectionString { get; private set; } = "";

    public string RedisConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var postgres = await PostgresServer.GetAsync();
        var databaseName = new Uri(await postgres.CreateDatabaseAsync("apphost")).AbsolutePath.Trim('/');
        DatabaseConnectionString = $"Host=127.0.0.1;Port={postgres.Port};Username=postgres;Database={databaseName}";
        _redis = await RedisServerFixture.StartAsync();
        RedisConnectionString = $"{_redis.Host}:{_redis.Port}";
        _ollama = await FakeOllama.StartAsync();

        // PROXY_PORT / ADMIN_PORT 0: free ports, so the suite runs beside anything already on 8000 and 8001.
        _builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OllamaQuota_AppHost>(
            [
                "--servers", "existing",
                "--ConnectionStrings:quotadb", DatabaseConnectionString,
                "--ConnectionStrings:redis", RedisConnectionString,
                "--Parameters:ollama-url", Ollama.Url,
                "--Parameters:admin-password", AdminPassword,
                "--PROXY_PORT", "0",
                "--ADMIN_PORT", "0",
            ],
            timeout.Token);

        // The services' own logs stay in DCP; health probes fail until the services listen, which is expected.
        _builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        foreach (var resource in _builder.Resources.Where(r => r.Name.StartsWith("admin-ui", StringComparison.Ordinal)).ToList())
        {
            _builder.Resources.Remove(resource);
        }

        _app = await _builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);
        try
        {
            await Task.WhenAll(
                _app.ResourceNotifications.WaitForResourceAsync("init-db", KnownResourceStates.Finished, timeout.Token),
                _app.ResourceNotifications.WaitForResourceHealthyAsync("proxy", timeout.Token),
                _app.ResourceNotifications.WaitForResourceHealthyAsync("admin", timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The AppHost's resources were not up within {StartTimeout}: {DescribeResources()}");
        }
    }

    /// <summary>The last snapshot DCP reported for a resource.</summary>
    public CustomResourceSnapshot Snapshot(string resourceName) =>
        App.ResourceNotifications.TryGetCurrentState(resourceName, out var resourceEvent) && resourceEvent is not null
            ? resourceEvent.Snapshot
            : throw new InvalidOperationException($"No state for resource '{resourceName}': {DescribeResources()}");

    /// <summary>The environment a started resource's process was given.</summary>
    public IReadOnlyDictionary<string, string?> Environment(string resourceName) =>
        Snapshot(resourceName).EnvironmentVariables.ToDictionary(variable => variable.Name, variable => variable.Value);

    public async Task DisposeAsync()
    {
        // Stops every process DCP started, then DCP. Its API server watches this process and its controllers watch
        // the API server: both end on their own a moment after the app is disposed, and are waited for, so that
        // nothing the suite started outlives it.
        var dcp = DcpProcesses();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await WaitForExitAsync(dcp, TimeSpan.FromMinutes(1));

        if (_builder is not null)
        {
            await _builder.DisposeAsync();
        }

        if (_ollama is not null)
        {
            await _ollama.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    /// <summary>The DCP processes serving this test process: those watching it, and those watching them.</summary>
    private static List<Process> DcpProcesses()
    {
        var commandLines = Directory.Exists("/proc")
            ? Directory.EnumerateDirectories("/proc")
                .Select(directory => (Id: int.TryParse(Path.GetFileName(directory), out var id) ? id : 0, Directory: directory))
                .Where(entry => entry.Id > 0)
                .Select(entry => (entry.Id, CommandLine: ReadCommandLine(entry.Directory)))
                .Where(entry => entry.CommandLine.Contains("/dcp ", StringComparison.Ordinal))
                .ToList()
            : [];
        var watched = new HashSet<int> { System.Environment.ProcessId };
        var found = new List<Process>();
        for (var added = true; added;)
        {
            var next = commandLines.Where(entry => !watched.Contains(entry.Id) && watched.Any(id => entry.CommandLine.Contains($" --monitor {id} ", StringComparison.Ordinal))).ToList();
            added = next.Count > 0;
            foreach (var (id, _) in next)
            {
                watched.Add(id);
                try
                {
                    found.Add(Process.GetProcessById(id));
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }

        return found;
    }

    private static string ReadCommandLine(string procDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDirectory, "cmdline")).Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static async Task WaitForExitAsync(List<Process> processes, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        foreach (var process in processes)
        {
            using (process)
            {
                try
                {
                    await process.WaitForExitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private string DescribeResources() => _app is null
        ? "(not built)"
        : string.Join("; ", _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Select(resource =>
            _app.ResourceNotifications.TryGetCurrentState(resource.Name, out var e) && e is not null
                ? $"{resource.Name}: {e.Snapshot.State?.Text} health={e.Snapshot.HealthStatus} exit={e.Snapshot.ExitCode}"
                : $"{resource.Name}: no state"));
}

[CollectionDefinition(Name)]
public sealed class RunningAppHostCollection : ICollectionFixture<RunningAppHost>
{
    public const string Name = "running AppHost";
}
