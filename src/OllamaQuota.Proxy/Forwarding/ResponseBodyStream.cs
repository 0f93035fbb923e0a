namespace OllamaQuota.Proxy.Forwarding;

/// <summary>
/// A stream put in front of the client's response body while YARP copies Ollama's response into it: write-only and
/// asynchronous (Kestrel refuses synchronous writes anyway). Subclasses say what happens to each chunk.
/// </summary>
public abstract class ResponseBodyStream : Stream
{
    public sealed override bool CanRead => false;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => true;

    public sealed override long Length => throw new NotSupportedException();

    public sealed override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Once YARP has copied the whole response: sends what is still held back. False when the client has gone.</summary>
    public abstract Task<bool> CompleteAsync(CancellationToken cancellationToken);

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    public sealed override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
