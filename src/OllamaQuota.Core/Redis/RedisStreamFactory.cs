using System.Net.Security;
using System.Net.Sockets;

namespace OllamaQuota.Core.Redis;

/// <summary>Opens the byte stream to the server: TCP, then TLS when the options ask for it.</summary>
internal static class RedisStreamFactory
{
    public static async Task<Stream> OpenAsync(RedisConnectionOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            // Commands are small and latency-bound; Nagle would hold them back waiting for more.
            NoDelay = true,
        };
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (!options.UseTls)
            {
                return network;
            }

            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = options.TlsHost ?? options.Host,
                        RemoteCertificateValidationCallback = options.CertificateValidation,
                    },
                    cancellationToken).ConfigureAwait(false);
                return tls;
            }
            catch
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
