using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisTlsTests : IAsyncLifetime
{
    private RedisServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await RedisServerFixture.StartAsync(password: "tls-pass", useTls: true);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ConnectAsync_RedissWithTrustedCertificate_RunsCommandsOverTls()
    {
        var options = RedisConnectionOptions.Parse(_server.ConnectionString);
        var expected = _server.Certificate!;
        options.CertificateValidation = (_, certificate, _, _) =>
            certificate?.GetCertHashString() == expected.Thumbprint;

        await using var redis = await RedisConnection.ConnectAsync(options);
        var payload = new byte[256 * 1024];
        Random.Shared.NextBytes(payload);
        await redis.ExecuteAsync("SET", "tls-key", payload);

        var echoed = await redis.ExecuteAsync("GET", "tls-key");

        Assert.True(options.UseTls);
        Assert.True(payload.AsSpan().SequenceEqual(echoed.AsBytes().Span));
    }

    [Fact]
    public async Task ConnectAsync_UntrustedCertificate_FailsWithConnectionException()
    {
        var options = RedisConnectionOptions.Parse(_server.ConnectionString);

        await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(options));
    }
}
