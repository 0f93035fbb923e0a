using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Tests.Distributed;

/// <summary>
/// An owner's limits across two keys and two proxy instances on one Redis: exact under 200 simultaneous requests; and
/// <c>GET /quota</c> reading Redis's counters from either instance.
/// </summary>
public sealed class OwnerQuotaDistributedTests(TwoInstancesOnOneClock instances) : IClassFixture<TwoInstancesOnOneClock>
{
    private const string Chat = """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false,"options":{"num_predict":5}}""";

    private ProxyCluster Cluster => instances.Cluster;

    /// <summary>
    /// Every admitted request is held at Ollama until all 200 are decided, so none is settled meanwhile; the requests
    /// alternate between the owner's two keys and the two instances.
    /// </summary>
    [Theory]
    [InlineData(QuotaLimitKind.DailyRequests)]
    [InlineData(QuotaLimitKind.RequestsPerMinute)]
    [InlineData(QuotaLimitKind.MaxConcurrentRequests)]
    public async Task TwoInstances_200SimultaneousOverTwoKeysOfOneOwner_ExactlyTheOwnersLimitServed(QuotaLimitKind kind)
    {
        const int served = 20;
        var owner = await Cluster.CreateOwnerAsync(QuotaLimits.From(k => k == kind ? served : null));
        var (_, laptop) = await Cluster.CreateKeyAsync(QuotaLimits.Unlimited, owner);
        var (_, ci) = await Cluster.CreateKeyAsync(new QuotaLimits(null, null, 1000, null), owner);
        HttpClient[] clients =
        [
            Cluster.Proxies[0].ClientFor(laptop), Cluster.Proxies[1].ClientFor(laptop), Cluster.Proxies[0].ClientFor(ci), Cluster.Proxies[1].ClientFor(ci),
        ];
        var release = new TaskCompletionSource();
        Cluster.Ollama.ResponseStart = release.Task;
        var forwarded = Cluster.Ollama.Requests.Count;

        Task<HttpResponseMessage>[] responses;
        try
        {
            responses = [.. Enumerable.Range(0, 200).Select(i => PostAsync(clients[i % 4], "/api/chat", Chat))];
            await WaitUntilAsync(() => Task.FromResult(responses.Count(r => r.IsCompleted) == 200 - served));
            await WaitUntilAsync(() => Task.FromResult(Cluster.Ollama.Requests.Count - forwarded == served));
        }
        finally
        {
            release.SetResult();
        }

        var answers = await Task.WhenAll(responses);
        Assert.Equal(served, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = answers.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
        Assert.All(refused, r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
        foreach (var response in refused)
        {
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
            Assert.Contains("for the owner of this API key", error, StringComparison.Ordinal);
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Quota_RequestThroughOneInstance_ShownByTheOtherFromRedis()
    {
        var owner = await Cluster.CreateOwnerAsync(new QuotaLimits(null, null, 50, null, MaxConcurrentRequests: 4));
        var (_, key) = await Cluster.CreateKeyAsync(new QuotaLimits(null, null, 10, null), owner);
        using var first = Cluster.Proxies[0].ClientFor(key);
        using var second = Cluster.Proxies[1].ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(first, "/api/chat", Chat)).StatusCode);

        var quota = await second.GetFromJsonAsync<JsonElement>("/quota");

        var windows = quota.GetProperty("windows").EnumerateArray().ToList();
        var keyDay = windows.Single(w => w.GetProperty("scope").GetString() == "key" && w.GetProperty("limit").GetString() == "daily_requests");
        var ownerDay = windows.Single(w => w.GetProperty("scope").GetString() == "owner" && w.GetProperty("limit").GetString() == "daily_requests");
        Assert.Equal((1, 9), (keyDay.GetProperty("used").GetInt64(), keyDay.GetProperty("remaining").GetInt64()));
        Assert.Equal((1, 49), (ownerDay.GetProperty("used").GetInt64(), ownerDay.GetProperty("remaining").GetInt64()));
        Assert.Equal(0, quota.GetProperty("in_flight")[1].GetProperty("used").GetInt64());
        Assert.Equal(4, quota.GetProperty("in_flight")[1].GetProperty("limit").GetInt64());
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body)
    {
        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
