using System.Globalization;
using OllamaQuota.Core.Redis;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// A throwaway Redis Cluster of three masters (no replicas) on loopback ports: three <c>redis-server</c> processes in
/// cluster mode, each given a third of the 16384 slots and introduced to the others with raw commands, so setting up
/// the cluster depends neither on the client under test nor on redis-cli.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private const int Slots = 16384;

    private readonly List<RedisServerFixture> _nodes = [];

    public IReadOnlyList<RedisServerFixture> Nodes => _nodes;

    /// <summary>A <c>REDIS_URL</c> naming one node; the client discovers the others.</summary>
    public string ConnectionString => _nodes[0].ConnectionString;

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            _nodes.Add(await RedisServerFixture.StartAsync(clusterEnabled: true));
        }

        // 1. Slots: 0–5460, 5461–10922, 10923–16383, as redis-cli --cluster create would split them.
        for (var i = 0; i < _nodes.Count; i++)
        {
            var first = Slots * i / _nodes.Count;
            var last = (Slots * (i + 1) / _nodes.Count) - 1;
            await ExpectOkAsync(_nodes[i], "CLUSTER", "ADDSLOTSRANGE", Text(first), Text(last));
        }

        // 2. Introductions: one node meets the others, and gossip spreads the rest.
        foreach (var other in _nodes.Skip(1))
        {
            await ExpectOkAsync(_nodes[0], "CLUSTER", "MEET", other.Host, Text(other.Port));
        }

        // 3. Every node must see every slot served before a client is let near it.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var node in _nodes)
        {
            while (!(await node.RawCommandAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the cluster did not reach cluster_state:ok on port {node.Port}");
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>A connection of the test's own to the whole cluster, through the same URL parsing as the services.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = RedisUrl.Parse(ConnectionString, RedisConfiguration.Variable);
        options.AllowAdmin = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static async Task ExpectOkAsync(RedisServerFixture node, params string[] command)
    {
        var reply = await node.RawCommandAsync(command);
        Assert.True(reply.StartsWith("+OK", StringComparison.Ordinal), $"{string.Join(' ', command)} on port {node.Port} answered {reply}");
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);
}
