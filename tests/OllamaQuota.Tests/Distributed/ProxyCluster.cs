using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Distributed;

/// <summary>
/// Proxy instances in distributed mode on one Redis (a server of the cluster's own, so tests may stop or flush it)
/// and one PostgreSQL database, in front of one fake Ollama.
/// </summary>
public sealed class ProxyCluster : IAsyncDisposable
{
    private readonly bool _ownsRedis;

    private ProxyCluster(
        RedisServerFixture redis, bool ownsRedis, FakeOllama ollama, string databaseUrl, ConnectionMultiplexer connection, IReadOnlyList<ProxyHost> proxies)
    {
        Redis = redis;
        _ownsRedis = ownsRedis;
        Ollama = ollama;
        DatabaseUrl = databaseUrl;
        Connection = connection;
        Proxies = proxies;
    }

    public RedisServerFixture Redis { get; }

    public FakeOllama Ollama { get; }

    public string DatabaseUrl { get; }

    /// <summary>The test's own connection to the cluster's Redis (admin commands allowed).</summary>
    public ConnectionMultiplexer Connection { get; }

    public IDatabase Database => Connection.GetDatabase();

    public IReadOnlyList<ProxyHost> Proxies { get; }

    /// <param name="databaseUrl">An initialised database to share; a fresh one on the shared PostgreSQL server if null.</param>
    /// <param name="sharedRedis">A Redis server the caller owns (and shares with an Admin); a new one of the cluster's own if null.</param>
    /// <param name="clock">One clock for every instance (quota windows), if given.</param>
    public static async Task<ProxyCluster> StartAsync(
        int instances = 2, IDictionary<string, string?>? settings = null, string? databaseUrl = null, RedisServerFixture? sharedRedis = null,
        ManualTimeProvider? clock = null)
    {
        var redis = sharedRedis ?? await RedisServerFixture.StartAsync();
        var ollama = await FakeOllama.StartAsync();
        databaseUrl ??= await TestDatabases.CreateInitializedAsync(DatabaseKind.PostgreSql, new Dictionary<string, string?> { ["OLLAMA_URL"] = ollama.Url });
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["REDIS_URL"] = redis.ConnectionString,
            ["USAGE_CLAIM_IDLE_MS"] = "1000",
        };
        var proxies = new List<ProxyHost>();
        for (var i = 0; i < instances; i++)
        {
            proxies.Add(await ProxyHost.StartAsync(DatabaseKind.PostgreSql, clock, settings: all, existingDatabaseUrl: databaseUrl, sharedOllama: ollama));
        }

        var connection = await redis.ConnectAsync();
        return new ProxyCluster(redis, sharedRedis is null, ollama, databaseUrl, connection, proxies);
    }

    public async Task<(Guid Id, string Key)> CreateKeyAsync(QuotaLimits limits, Guid? ownerId = null)
    {
        var (record, plaintext) = ApiKeyFactory.Create("test", limits, null, DateTime.UtcNow);
        record.OwnerId = ownerId;
        await using var db = await OpenDbAsync();
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync();
        return (record.Id, plaintext);
    }

    public async Task<Guid> CreateOwnerAsync(QuotaLimits limits)
    {
        await using var db = await OpenDbAsync();
        return await TestOwners.CreateAsync(db, limits);
    }

    public Task<QuotaDbContext> OpenDbAsync() => TestDatabases.OpenAsync(DatabaseUrl);

    /// <summary>
    /// Waits until the writers have stored <paramref name="count"/> events of forwarded requests (refusals are left out)
    /// and the stream holds nothing unstored.
    /// </summary>
    public async Task<List<UsageEvent>> WaitForUsageAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            await using var db = await OpenDbAsync();
            var events = await db.UsageEvents.AsNoTracking().Where(e => !e.Refused).ToListAsync();
            if ((events.Count >= count && await StreamLengthAsync() == 0) || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(100);
        }
    }

    public Task<long> StreamLengthAsync() => Database.StreamLengthAsync("oq:usage");

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in Proxies)
        {
            await proxy.DisposeAsync();
        }

        await Connection.DisposeAsync();
        await Ollama.DisposeAsync();
        if (_ownsRedis)
        {
            await Redis.DisposeAsync();
        }
    }
}
