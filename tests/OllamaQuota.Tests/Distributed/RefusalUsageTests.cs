using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;

namespace OllamaQuota.Tests.Distributed;

/// <summary>A request refused because Redis, the quota ledger, is down: recorded as a refusal, not as an error.</summary>
public sealed class RefusalUsageTests
{
    [Fact]
    public async Task RedisDown_FailModeClosed_The503IsStoredAsARefusedEventAndCountedInTheRollup()
    {
        await using var cluster = await ProxyCluster.StartAsync(instances: 1);
        var (id, key) = await cluster.CreateKeyAsync(QuotaLimits.Unlimited);
        using var client = cluster.Proxies[0].ClientFor(key);
        await cluster.Redis.StopAsync();

        var refused = await client.PostAsync("/api/chat",
            new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var db = await cluster.OpenDbAsync();
            if (await db.UsageDaily.AsNoTracking().SingleOrDefaultAsync(d => d.KeyId == id) is { } rollup)
            {
                Assert.Equal((0L, 1L, 0L, 0L), (rollup.Requests, rollup.RefusedUnavailable, rollup.RefusedRateLimited, rollup.Errors));
                var stored = await db.UsageEvents.AsNoTracking().SingleAsync();
                Assert.Equal((true, 503, 0, 0), (stored.Refused, stored.StatusCode, stored.PromptTokens, stored.CompletionTokens));
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the refusal was not stored");
            await Task.Delay(100);
        }
    }
}
