using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>PostgreSQL down and back: serving continues, usage waits in the Redis stream and is stored once when it returns.</summary>
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task PostgresDownAndBack_UsageWaitsInTheStreamThenIsStoredOnce()
    {
        // A server of this test's own: stopping the shared one would fail every other test.
        await using var postgres = await PostgresServer.StartDedicatedAsync();
        var databaseUrl = await postgres.CreateDatabaseAsync();
        await TestDatabases.InitializeAsync(databaseUrl);
        await using var cluster = await ProxyCluster.StartAsync(databaseUrl: databaseUrl);
        var (id, key) = await cluster.CreateKeyAsync(QuotaLimits.Unlimited);
        var clients = cluster.Proxies.Select(p => p.ClientFor(key)).ToList();
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(client)).StatusCode);
        }

        await cluster.WaitForUsageAsync(2);
        await postgres.StopAsync();

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(clients[i % 2])).StatusCode);
        }

        await Task.Delay(1500);
        Assert.Equal(6, await cluster.StreamLengthAsync());
        await postgres.StartAsync();

        var stored = await cluster.WaitForUsageAsync(8, TimeSpan.FromSeconds(30));
        Assert.Equal(8, stored.Count);
        Assert.Equal(0, await cluster.StreamLengthAsync());
        await using var db = await cluster.OpenDbAsync();
        Assert.Equal(8, await db.UsageDaily.Where(d => d.KeyId == id).SumAsync(d => d.Requests));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task PostgresRestarted_AdminsFirstWrite_IsRetriedOnANewConnection()
    {
        await using var postgres = await PostgresServer.StartDedicatedAsync();
        var databaseUrl = await postgres.CreateDatabaseAsync();
        await TestDatabases.InitializeAsync(databaseUrl);
        await using var admin = await AdminHost.StartAsync(DatabaseKind.PostgreSql, existingDatabaseUrl: databaseUrl);

        // Leaves open connections in the admin's pool, which the restart closes on the server's side.
        Assert.Equal(HttpStatusCode.Created, (await CreateKeyAsync(admin, "before")).StatusCode);
        await postgres.StopAsync();
        await postgres.StartAsync();
        var response = await CreateKeyAsync(admin, "after");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await using var db = await admin.OpenDbAsync();
        Assert.Equal(["after", "before"], await db.ApiKeys.Select(k => k.Name).OrderBy(name => name).ToListAsync());
    }

    private static Task<HttpResponseMessage> CreateKeyAsync(AdminHost admin, string name) =>
        admin.Client.PostAsJsonAsync("/api/api-keys", new { name });

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) => client.PostAsync("/api/chat",
        new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"));
}
