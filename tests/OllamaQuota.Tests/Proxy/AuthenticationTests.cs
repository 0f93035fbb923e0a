using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

public sealed class ProxyAuthenticationTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync();

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Theory]
    [InlineData(null, "Missing API key")]
    [InlineData("Bearer ", "Missing API key")]
    [InlineData("Bearer sk-not-a-real-key", "Invalid API key")]
    [InlineData("sk-not-a-real-key", "Invalid API key")]
    public async Task Chat_MissingOrUnknownKey_Returns401AndForwardsNothing(string? header, string message)
    {
        using var request = Chat();
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", header);
        }

        var response = await _proxy.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(message, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Chat_ValidKeyWithOrWithoutBearer_IsAccepted(bool bearer)
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var request = Chat();
        request.Headers.TryAddWithoutValidation("Authorization", bearer ? $"Bearer {key}" : key);

        var response = await _proxy.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenAiRoute_UnknownKey_AnswersInOpenAiStyle()
    {
        using var client = _proxy.ClientFor("sk-unknown");

        var response = await client.PostAsync("/v1/chat/completions", new StringContent("""{"messages":[]}""", Encoding.UTF8, "application/json"));

        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Chat_ExpiredKey_Returns401SayingItExpired()
    {
        var (_, key) = await _proxy.CreateKeyAsync(expiresAt: DateTime.UtcNow.AddMinutes(-1));
        using var client = _proxy.ClientFor(key);

        var response = await client.SendAsync(Chat());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_KeyDeactivatedByAdmin_RefusedWithinTwoSeconds()
    {
        var (id, key) = await _proxy.CreateKeyAsync();
        using var client = _proxy.ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Chat())).StatusCode);

        await using (var db = await _proxy.OpenDbAsync())
        {
            await db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.IsActive, false));
            await db.BumpRevisionAsync(CancellationToken.None);
        }

        var deadline = DateTime.UtcNow.AddSeconds(2);
        HttpResponseMessage response;
        do
        {
            response = await client.SendAsync(Chat());
        }
        while (response.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("deactivated", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Chat() => new(HttpMethod.Post, "/api/chat")
    {
        Content = new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"),
    };
}
