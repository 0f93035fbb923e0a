using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

public sealed class RefusalUsageSqliteTests() : RefusalUsageTests(DatabaseKind.Sqlite);

public sealed class RefusalUsagePostgresTests() : RefusalUsageTests(DatabaseKind.PostgreSql);

/// <summary>A request refused for its quota is recorded, with no tokens, and counts against nothing.</summary>
public abstract class RefusalUsageTests(DatabaseKind kind) : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(kind);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task DailyRequestsUsedUp_RefusalsRecordedAsRefusedEventsAndLeftOutOfTheQuotaCounts()
    {
        var (id, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = _proxy.ClientFor(key);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.PostAsync("/v1/chat/completions", new StringContent(
                """{"model":"qwen","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"))).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var events = await WaitForEventsAsync(3);
        var refused = events.Where(e => e.Refused).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, e => Assert.Equal((id, "qwen", "/v1/chat/completions", 429, 0, 0), (e.KeyId, e.Model, e.Endpoint, e.StatusCode, e.PromptTokens, e.CompletionTokens)));
        await using var db = await _proxy.OpenDbAsync();
        var rollup = await db.UsageDaily.AsNoTracking().SingleAsync();
        Assert.Equal((1L, 2L, 0L, 0L), (rollup.Requests, rollup.RefusedRateLimited, rollup.RefusedUnavailable, rollup.Errors));
        Assert.Equal(events.Single(e => !e.Refused).PromptTokens + events.Single(e => !e.Refused).CompletionTokens, rollup.PromptTokens + rollup.CompletionTokens);
    }

    private async Task<List<UsageEvent>> WaitForEventsAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var db = await _proxy.OpenDbAsync();
            var events = await db.UsageEvents.AsNoTracking().ToListAsync();
            if (events.Count >= count)
            {
                return events;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{events.Count} of {count} events stored");
            await Task.Delay(50);
        }
    }
}
