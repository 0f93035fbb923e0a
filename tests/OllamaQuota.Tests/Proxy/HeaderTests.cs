using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Which headers cross the proxy, each way, and client header values that cannot be sent on to Ollama.</summary>
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

    /// <summary>
    /// Kestrel decodes header bytes as UTF-8, so a non-ASCII value arrives intact, but Ollama cannot be sent it (the
    /// upstream call failed: 502 "Ollama is unreachable"); a control byte arrives too, and Ollama refuses the request.
    /// Either is the caller's mistake: 400 in the caller's API style, before the reserve.
    /// </summary>
    [Theory]
    [InlineData("POST", "/api/chat", "café")]
    [InlineData("POST", "/v1/chat/completions", "naïve ☕")]
    [InlineData("POST", "/api/chat", "a\u0001b")]
    [InlineData("POST", "/v1/chat/completions", "a\u007Fb")]
    [InlineData("GET", "/api/tags", "a\u001Bb")]
    public async Task UnsendableHeaderValue_Returns400InTheCallersStyleAndChargesNothing(string method, string path, string value)
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = ClientFor(key, Encoding.UTF8);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? ChatBody(path) : null };
        request.Headers.TryAddWithoutValidation("X-Client-Note", value);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        var message = path.StartsWith("/v1", StringComparison.Ordinal) ? error.GetProperty("message").GetString() : error.GetString();
        Assert.Contains("X-Client-Note", message, StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);

        // The key's one request of the day is still there, and only that request is recorded.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/chat", ChatBody("/api/chat"))).StatusCode);
        Assert.Equal(200, Assert.Single(await _proxy.WaitForUsageAsync(1)).StatusCode);
    }

    /// <summary>A byte that is not UTF-8 (obs-text) never reaches the proxy: Kestrel answers 400 itself.</summary>
    [Fact]
    public async Task ObsTextHeaderByte_KestrelRefusesItAndNothingIsForwarded()
    {
        var (_, key) = await _proxy.CreateKeyAsync(new QuotaLimits(null, null, 1, null));
        using var client = ClientFor(key, Encoding.Latin1);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat") { Content = ChatBody("/api/chat") };
        request.Headers.TryAddWithoutValidation("X-Client-Note", "caf\u00E9");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_proxy.Ollama.Requests);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/chat", ChatBody("/api/chat"))).StatusCode);
    }

    /// <summary>
    /// A WebSocket handshake on a GET route is served as the plain GET it also is (RFC 9110 §7.8 lets a server ignore
    /// Upgrade): Ollama is never asked to switch protocols, so no connection is ever spliced through to it.
    /// </summary>
    [Fact]
    public async Task Get_WebSocketUpgradeRequested_ServedPlainAndOllamaNeverAskedToUpgrade()
    {
        var (_, key) = await _proxy.CreateKeyAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_proxy.BaseAddress.Host, _proxy.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /api/tags HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer {key}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));

        var head = await ReadHeadAsync(stream);

        Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
        var headers = Assert.Single(_proxy.Ollama.Gets).Headers;
        Assert.False(headers.ContainsKey("Upgrade"), "Ollama was asked to upgrade");
        Assert.DoesNotContain("upgrade", headers.GetValueOrDefault("Connection", ""), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The GET routes take no body; one sent anyway stays at the proxy, and nothing describing it goes on.</summary>
    [Fact]
    public async Task Get_WithABody_OllamaGetsNoBody()
    {
        using var client = ClientFor((await _proxy.CreateKeyAsync()).Key, Encoding.ASCII);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tags") { Content = new StringContent("""{"model":"llama3"}""", Encoding.UTF8, "application/json") };

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("llama3:latest", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var (_, headers, bodyBytes) = Assert.Single(_proxy.Ollama.Gets);
        Assert.Equal(0, bodyBytes);
        Assert.False(headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding"), "Ollama was told of a body");
    }

    /// <summary>A response's status line and headers, read byte by byte up to the blank line.</summary>
    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one));
            head.Append((char)one[0]);
        }

        return head.ToString();
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
