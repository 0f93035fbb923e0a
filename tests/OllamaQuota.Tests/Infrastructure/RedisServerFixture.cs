using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OllamaQuota.Core.Redis;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// A throwaway <c>redis-server</c> on a free loopback port, with no persistence. Use it as a class fixture for a shared
/// server, or <see cref="StartAsync"/> one per test when the test stops, restarts or pauses it.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string NotFoundMessage = "redis-server not found: install it with `apt-get install -y redis-server`";

    private static readonly string[] KnownLocations = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server", "/opt/homebrew/bin/redis-server"];

    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("redis-test-").FullName;
    private Process? _process;

    public RedisServerFixture()
        : this(password: null, useTls: false, clusterEnabled: false)
    {
    }

    private RedisServerFixture(string? password, bool useTls, bool clusterEnabled)
    {
        Password = password;
        ClusterEnabled = clusterEnabled;
        if (useTls)
        {
            Certificate = CreateSelfSignedCertificate(_directory);
        }
    }

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public string? Password { get; }

    /// <summary>Started as a Redis Cluster node (see <see cref="RedisClusterFixture"/>).</summary>
    public bool ClusterEnabled { get; }

    /// <summary>The server's self-signed certificate when started with TLS (the port then speaks TLS only).</summary>
    public X509Certificate2? Certificate { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary><c>redis://</c> or <c>rediss://</c> URL of this server, including the password.</summary>
    public string ConnectionString =>
        $"{(Certificate is null ? "redis" : "rediss")}://{(Password is null ? string.Empty : $":{Uri.EscapeDataString(Password)}@")}{Host}:{Port}";

    /// <summary>Last lines redis-server printed, for assertion messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    public static async Task<RedisServerFixture> StartAsync(string? password = null, bool useTls = false, bool clusterEnabled = false)
    {
        var server = new RedisServerFixture(password, useTls, clusterEnabled);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A connection of the test's own, through the same URL parsing as the services, with admin commands allowed
    /// (FLUSHALL, CLIENT PAUSE, …) and failing at once if the server cannot be reached.
    /// </summary>
    public async Task<ConnectionMultiplexer> ConnectAsync(Action<ConfigurationOptions>? configure = null)
    {
        var options = RedisUrl.Parse(ConnectionString, RedisConfiguration.Variable);
        options.AllowAdmin = true;
        configure?.Invoke(options);
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>Sends one command over a connection of its own and returns the raw reply, so setting up a server does not depend on the client.</summary>
    public async Task<string> RawCommandAsync(params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var client = new TcpClient();
        await client.ConnectAsync(Host, Port, timeout.Token);
        await using var stream = client.GetStream();
        var command = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            command.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()), timeout.Token);
        var reply = new StringBuilder();
        var buffer = new byte[16 * 1024];
        do
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            reply.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        while (!IsComplete(reply.ToString()));

        return reply.ToString();

        // Simple replies end at their first line; a bulk reply once its announced length has arrived.
        static bool IsComplete(string text)
        {
            var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                return false;
            }

            return text[0] != '$' || text.Length >= lineEnd + 2 + int.Parse(text.AsSpan(1, lineEnd - 1), System.Globalization.CultureInfo.InvariantCulture) + 2;
        }
    }

    /// <summary>Starts the server; after the first start it reuses the same port, which is what reconnect tests need.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var executable = FindRedisServer();
        var reusePort = Port != 0;
        for (var attempt = 1; ; attempt++)
        {
            if (!reusePort)
            {
                Port = GetFreePort();
            }

            _process = Process.Start(CreateStartInfo(executable)) ?? throw new InvalidOperationException("redis-server did not start.");
            _process.OutputDataReceived += (_, e) => Remember(e.Data);
            _process.ErrorDataReceived += (_, e) => Remember(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (await WaitUntilAnsweringAsync(TimeSpan.FromSeconds(10)))
            {
                return;
            }

            await StopAsync();

            // Another process may have taken the port between probing and binding; a fresh port fixes that, a restart must not move.
            if (reusePort ? attempt >= 20 : attempt >= 3)
            {
                throw new InvalidOperationException($"redis-server did not answer on port {Port}. Output:{Environment.NewLine}{Output}");
            }

            await Task.Delay(reusePort ? 250 : 0);
        }
    }

    /// <summary>Kills the server as a crash would; clients see their connections drop.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            process.Dispose();
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Certificate?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    Task IAsyncLifetime.InitializeAsync() => StartAsync();

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static string FindRedisServer()
    {
        var configured = Environment.GetEnvironmentVariable("REDIS_SERVER_PATH");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{NotFoundMessage} (REDIS_SERVER_PATH points to '{configured}', which does not exist)");
        }

        var fromPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "redis-server"));
        return fromPath.Concat(KnownLocations).FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException(NotFoundMessage);
    }

    private static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private ProcessStartInfo CreateStartInfo(string executable)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        string[] common = ["--bind", Host, "--save", string.Empty, "--appendonly", "no", "--dir", _directory, "--daemonize", "no"];
        string[] ports = Certificate is null
            ? ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : ["--port", "0", "--tls-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
               "--tls-cert-file", Path.Combine(_directory, "server.crt"), "--tls-key-file", Path.Combine(_directory, "server.key"),
               "--tls-ca-cert-file", Path.Combine(_directory, "server.crt"), "--tls-auth-clients", "no"];
        string[] cluster = ClusterEnabled
            ? ["--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_directory, "nodes.conf"), "--cluster-node-timeout", "5000"]
            : [];
        foreach (var argument in ports.Concat(common).Concat(cluster))
        {
            info.ArgumentList.Add(argument);
        }

        if (Password is not null)
        {
            info.ArgumentList.Add("--requirepass");
            info.ArgumentList.Add(Password);
        }

        return info;
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    private async Task<bool> WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is null || _process.HasExited)
            {
                return false;
            }

            if (await ProbeAsync())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    // A raw PING, so the fixture does not depend on the client under test. NOAUTH also proves the server is up.
    private async Task<bool> ProbeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var client = new TcpClient();
            await client.ConnectAsync(Host, Port, timeout.Token);
            Stream stream = client.GetStream();
            if (Certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);
                stream = tls;
            }

            await using (stream)
            {
                await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
                var buffer = new byte[64];
                var read = await stream.ReadAsync(buffer, timeout.Token);
                var reply = Encoding.ASCII.GetString(buffer, 0, read);
                return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or AuthenticationException)
        {
            return false;
        }
    }

    private static X509Certificate2 CreateSelfSignedCertificate(string directory)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(Path.Combine(directory, "server.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }
}
