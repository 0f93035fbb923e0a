using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// One throwaway PostgreSQL server for the whole test run, from Debian's <c>postgresql</c> package: initdb into a
/// temporary folder, started on a free loopback port, stopped when the test process exits. Each test gets its
/// own database. A missing server is a failure with instructions, never a skip.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(LaunchAsync);

    private readonly string _binDirectory;
    private readonly string _dataDirectory;
    private readonly string _settings;

    private PostgresServer(string binDirectory, string dataDirectory, int port)
    {
        _binDirectory = binDirectory;
        _dataDirectory = dataDirectory;
        Port = port;
        // Many connections: every test database has its own Npgsql pool, whose idle connections live on for minutes
        // after their test, and the whole suite runs in one server.
        _settings = string.Join(' ',
            $"-c port={port}", "-c listen_addresses=127.0.0.1", $"-c unix_socket_directories={dataDirectory}",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=1000");
    }

    public int Port { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>A server of the caller's own, for a test that stops and starts it; <see cref="DisposeAsync"/> removes it.</summary>
    public static Task<PostgresServer> StartDedicatedAsync() => LaunchAsync();

    /// <summary>Stops the server as an outage would (clients see their connections refused); <see cref="StartAsync"/> brings it back on the same port.</summary>
    public Task StopAsync() => RunPgAsync("pg_ctl", ["stop", "-w", "-m", "fast", "-D", _dataDirectory]);

    public Task StartAsync() =>
        RunPgAsync("pg_ctl", ["start", "-w", "-t", "60", "-D", _dataDirectory, "-l", Path.Combine(_dataDirectory, "server.log"), "-o", _settings]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunPgAsync("pg_ctl", ["stop", "-m", "immediate", "-D", _dataDirectory]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test.
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover folder in /tmp is all that is lost.
        }
    }

    /// <summary>A new, empty database; returns its <c>DATABASE_URL</c>.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(AdminConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return $"postgresql://postgres@127.0.0.1:{Port}/{name}";
    }

    public string AdminConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false";

    private static async Task<PostgresServer> LaunchAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(path => File.Exists(Path.Combine(path, "pg_ctl")))
                .OrderDescending()
                .FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException(
                "PostgreSQL server not found (no /usr/lib/postgresql/*/bin/pg_ctl): install it with `apt-get install -y postgresql`, or run ./test.sh, which does.");
        }

        var data = Path.Combine(Path.GetTempPath(), $"oq-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(data);
        if (Environment.UserName == "root")
        {
            // PostgreSQL refuses to run as root: the server runs as the postgres user, who must own its folder.
            await RunAsync("chown", ["postgres:postgres", data]);
        }

        var port = FreePort();
        var server = new PostgresServer(bin, data, port);
        await server.RunPgAsync("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
        await server.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    private void Stop()
    {
        try
        {
            RunPgAsync("pg_ctl", ["stop", "-m", "immediate", "-D", _dataDirectory]).GetAwaiter().GetResult();
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The process is exiting; a leftover folder in /tmp is all that is lost.
        }
    }

    private Task RunPgAsync(string tool, IEnumerable<string> arguments)
    {
        var path = Path.Combine(_binDirectory, tool);
        return Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
