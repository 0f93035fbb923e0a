using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;
using StackExchange.Redis;

namespace OllamaQuota.Tests.Quotas;

/// <summary>The ledger on a Redis Cluster of three masters: keys spread over every master, each key's state on one.</summary>
public sealed class RedisClusterLedgerTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task Reserve_ManyKeys_CountersSpreadOverEveryMasterWithEachKeysStateOnOne()
    {
        await using var redis = await cluster.ConnectAsync();
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), TimeProvider.System);
        var ledger = new RedisQuotaLedger(
            redis, calendar, new FakeBaseline(), Options.Create(new QuotaOptions()), Options.Create(new RedisLedgerOptions()),
            NullLogger<RedisQuotaLedger>.Instance);
        var keys = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid()).ToList();

        foreach (var key in keys)
        {
            Assert.True((await ledger.ReserveAsync(new ReserveRequest(key, new QuotaLimits(null, null, 5, null), 3, null, false), CancellationToken.None)).Allowed);
        }

        var masters = redis.GetServers().Where(s => !s.IsReplica).ToList();
        Assert.Equal(3, masters.Count);
        var owners = new Dictionary<Guid, HashSet<string>>();
        foreach (var master in masters)
        {
            var stored = new List<string>();
            await foreach (var name in master.KeysAsync(pattern: "oq:{k:*"))
            {
                stored.Add(name!);
            }

            Assert.True(stored.Count > 0, $"no counters on the master at {master.EndPoint}");
            foreach (var name in stored)
            {
                var key = Guid.Parse(name.AsSpan(6, 36));
                if (keys.Contains(key))
                {
                    (owners.TryGetValue(key, out var nodes) ? nodes : owners[key] = []).Add(master.EndPoint.ToString()!);
                }
            }
        }

        // Every key's windows and reservations live together, on exactly one master.
        Assert.Equal(keys.Order(), owners.Keys.Order());
        Assert.All(owners.Values, nodes => Assert.Single(nodes));
    }
}
