using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>
/// Embedded mode: a metered response's usage event is handed to the usage sink before the response's last bytes are
/// written, so a client that returns as soon as it holds its whole answer finds the event already recorded. Ollama
/// keeps each response open after its last document here, so the proxy cannot wait for the response's end.
/// </summary>
public sealed class UsageBeforeLastByteTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync(services: RecordingUsageSink.Register);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    public static TheoryData<string, string> Answers => new()
    {
        { "/api/chat", """{"model":"M","messages":[{"role":"user","content":"hi"}]}""" },
        { "/api/generate", """{"model":"M","prompt":"hi","stream":false}""" },
        { "/v1/chat/completions", """{"model":"M","messages":[{"role":"user","content":"hi"}],"stream":true}""" },
        { "/v1/chat/completions", """{"model":"M","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}""" },
        { "/v1/completions", """{"model":"M","prompt":"hi"}""" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Response_ClientStopsReadingAtTheWholeAnswer_UsageEventAlreadyRecorded(string path, string body)
    {
        var model = $"answer-{Guid.NewGuid():N}";
        using var client = _proxy.ClientFor((await _proxy.CreateKeyAsync()).Key);
        var sink = _proxy.Services.GetRequiredService<RecordingUsageSink>();
        var end = new TaskCompletionSource();
        _proxy.Ollama.ResponseEnd = end.Task;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.Replace("\"M\"", $"\"{model}\"", StringComparison.Ordinal), Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var answer = await AnswerReader.ReadUntilAnswerAsync(response, CancellationToken.None);

            var recorded = Assert.Single(sink.Events, e => e.Model == model);
            Assert.Equal((200, FakeOllama.PromptEvalCount, FakeOllama.DefaultCompletionTokens), (recorded.StatusCode, recorded.PromptTokens, recorded.CompletionTokens));
            Assert.Contains("tok", answer, StringComparison.Ordinal);
        }
        finally
        {
            end.SetResult();
        }
    }
}
