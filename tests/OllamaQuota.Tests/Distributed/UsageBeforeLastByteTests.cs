using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Distributed;

/// <summary>
/// Distributed mode: a metered response's usage event is in the Redis stream (or already stored from it) before the
/// response's last bytes are written, so a client that returns as soon as it holds its whole answer finds it durable.
/// Ollama keeps each response open after its last document here, so the proxy cannot wait for the response's end.
/// </summary>
public sealed class UsageBeforeLastByteTests : IAsyncLifetime
{
    private ProxyCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProxyCluster.StartAsync(instances: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Response_ClientStopsReadingAtTheWholeAnswer_UsageEventAlreadyInTheStream()
    {
        var (_, key) = await _cluster.CreateKeyAsync(QuotaLimits.Unlimited);
        using var client = new HttpClient { BaseAddress = _cluster.Proxies[0].BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        (string Path, string Body)[] answers =
        [
            ("/api/chat", """{"model":"M","messages":[{"role":"user","content":"hi"}]}"""),
            ("/api/generate", """{"model":"M","prompt":"hi","stream":false}"""),
            ("/v1/chat/completions", """{"model":"M","messages":[{"role":"user","content":"hi"}],"stream":true}"""),
        ];

        for (var i = 0; i < answers.Length; i++)
        {
            var model = $"answer-{i}";
            var end = new TaskCompletionSource();
            _cluster.Ollama.ResponseEnd = end.Task;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, answers[i].Path)
                {
                    Content = new StringContent(answers[i].Body.Replace("\"M\"", $"\"{model}\"", StringComparison.Ordinal), Encoding.UTF8, "application/json"),
                };
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                await AnswerReader.ReadUntilAnswerAsync(response, CancellationToken.None);

                // The previous answers are stored and gone from the stream, so an entry in it is this answer's; an
                // entry already gone from it was stored first.
                var inStream = await _cluster.StreamLengthAsync() > 0;
                await using var db = await _cluster.OpenDbAsync();
                Assert.True(inStream || await db.UsageEvents.AnyAsync(e => e.Model == model), $"{answers[i].Path}: no usage event in Redis or PostgreSQL when the client held its answer");
            }
            finally
            {
                end.SetResult();
            }

            Assert.Equal(i + 1, (await _cluster.WaitForUsageAsync(i + 1)).Count);
        }
    }
}
