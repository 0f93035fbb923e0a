using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Which headers cross the proxy, each way.</summary>
public sealed class HeaderTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync();

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task Post_ClientHeaders_OnlyThoseForOllamaAreForwarded()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = ClientFor(key, Encoding.ASCII);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat") { Content = ChatBody("/api/chat") };
        request.Headers.Add("X-Client-Note", "kept");
        request.Headers.Add("Cookie", "session=secret");
        request.Headers.Add("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        request.Headers.ExpectContinue = true;

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = _proxy.Ollama.Requests.Single().Headers;
        Assert.Equal("kept", headers["X-Client-Note"]);
        Assert.Equal(new Uri(_proxy.Ollama.Url).Authority, headers["Host"]);
        Assert.Equal("application/json", headers["Content-Type"]);
        Assert.True(headers.ContainsKey("Content-Length"));
        string[] withheld = ["Authorization", "Cookie", "Proxy-Authorization", "Accept-Encoding", "Expect", "Transfer-Encoding", "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix"];
        Assert.All(withheld, name => Assert.False(headers.ContainsKey(name), $"{name} reached Ollama"));
    }

    [Fact]
    public async Task Post_ChunkedBody_ReachesOllamaWithItsLength()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var client = ClientFor(key, Encoding.ASCII);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}"""u8.ToArray());
        await pipe.Writer.CompleteAsync();

        // A body of unknown length (the pipe's stream cannot seek) goes out chunked.
        using var body = new StreamContent(pipe.Reader.AsStream());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/api/chat", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = _proxy.Ollama.Requests.Single().Headers;
        Assert.False(headers.ContainsKey("Transfer-Encoding"));
        Assert.True(int.Parse(headers["Content-Length"], CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Get_OllamaSetsACookie_TheClientDoesNotGetIt()
    {
        using var client = ClientFor((await _proxy.CreateKeyAsync()).Key, Encoding.ASCII);

        var response = await client.GetAsync("/api/version");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    /// <summary>Writes header values byte for byte in <paramref name="encoding"/>, as a careless client might; no cookie jar.</summary>
    private HttpClient ClientFor(string key, Encoding encoding) =>
        new(new SocketsHttpHandler { UseCookies = false, RequestHeaderEncodingSelector = (_, _) => encoding })
        {
            BaseAddress = _proxy.BaseAddress,
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
        };

    private static StringContent ChatBody(string path) => new(
        path.StartsWith("/v1", StringComparison.Ordinal)
            ? """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}"""
            : """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""",
        Encoding.UTF8, "application/json");
}
