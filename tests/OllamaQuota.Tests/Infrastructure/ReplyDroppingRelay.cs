using System.Net;
using System.Net.Sockets;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// A TCP relay in front of a server that can be told to swallow the server's replies: commands still arrive and run,
/// but the client never hears back, as when a connection dies between a command's execution and its reply.
/// </summary>
public sealed class ReplyDroppingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private volatile bool _dropReplies;

    public ReplyDroppingRelay(string host, int port)
    {
        _listener.Start();
        _accepting = AcceptAsync(host, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>While set, bytes from the server are read and thrown away.</summary>
    public bool DropReplies
    {
        get => _dropReplies;
        set => _dropReplies = value;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_pumps).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync(string host, int port)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(host, port, _stop.Token);
            lock (_pumps)
            {
                _pumps.Add(PumpAsync(client, server));
            }
        }
    }

    private async Task PumpAsync(TcpClient client, TcpClient server)
    {
        using (client)
        using (server)
        {
            await Task.WhenAny(CopyAsync(client.GetStream(), server.GetStream(), drop: () => false), CopyAsync(server.GetStream(), client.GetStream(), drop: () => _dropReplies));
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, Func<bool> drop)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                if (!drop())
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Either side went away: the relay's connection ends with it.
        }
    }
}
