using System.Buffers;
using OllamaQuota.Core.Models;
using OllamaQuota.Proxy.Forwarding;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Proxy.Access;

/// <summary>
/// The client's response body for a model list seen by a key with an allow-list: Ollama's list is collected (it is
/// small and never streamed), then sent filtered (<see cref="ModelListFilter"/>) with its own length. YARP starts the
/// client's response only on the first write, so nothing has gone out before <see cref="CompleteAsync"/>.
/// </summary>
public sealed class ModelListResponseStream(HttpContext context, Stream client, ProxyEndpoint endpoint, ModelAccess access, Action onFirstChunk) : ResponseBodyStream
{
    /// <summary>A list longer than this is not passed on (hundreds of models come to well under 1 MB).</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _body = new();
    private bool _started;
    private bool _tooLarge;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            onFirstChunk();
        }

        _tooLarge |= _body.WrittenCount + buffer.Length > MaxBytes;
        if (!_tooLarge)
        {
            _body.Write(buffer.Span);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Once YARP has copied the whole list: sends it filtered. False when the client has gone.</summary>
    public override async Task<bool> CompleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_tooLarge)
            {
                await ProxyErrors.WriteAsync(context, endpoint.Style, StatusCodes.Status502BadGateway, $"Ollama's model list is larger than {MaxBytes} bytes.");
                return true;
            }

            ReadOnlyMemory<byte> filtered = ModelListFilter.Filter(endpoint.Kind, _body.WrittenMemory, access) ?? _body.WrittenMemory;
            context.Response.ContentLength = filtered.Length;
            await client.WriteAsync(filtered, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }
}
