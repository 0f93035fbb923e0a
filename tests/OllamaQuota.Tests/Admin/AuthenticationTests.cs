using System.Net;
using System.Net.Http.Headers;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class AuthenticationTests : IAsyncLifetime
{
    private AdminHost _admin = null!;

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(DatabaseKind.Sqlite);

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Theory]
    [InlineData("GET", "/api/api-keys")]
    [InlineData("POST", "/api/api-keys")]
    [InlineData("PUT", "/api/api-keys/00000000-0000-0000-0000-000000000001/deactivate")]
    [InlineData("PATCH", "/api/api-keys/00000000-0000-0000-0000-000000000001/quota")]
    [InlineData("GET", "/api/api-keys/00000000-0000-0000-0000-000000000001/usage/daily")]
    [InlineData("GET", "/api/settings")]
    [InlineData("PUT", "/api/settings")]
    [InlineData("GET", "/api/ollama-models")]
    [InlineData("POST", "/api/settings/test-connection")]
    [InlineData("GET", "/api/proxy-info")]
    public async Task EveryRoute_WithoutPassword_Returns401(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        var response = await _admin.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("Bearer wrong-password-entirely")]
    [InlineData("Bearer test-admin-password-12")]
    [InlineData("Basic dGVzdC1hZG1pbi1wYXNzd29yZC0xMjM=")]
    [InlineData("test-admin-password-123")]
    public async Task ListKeys_WrongCredentials_Returns401(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/api-keys");
        request.Headers.TryAddWithoutValidation("Authorization", header);

        var response = await _admin.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Login_TenFailuresFromOneAddress_ThrottlesEvenTheRightPassword()
    {
        using var wrong = new HttpClient { BaseAddress = _admin.Anonymous.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-password");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/settings")).StatusCode);
        }

        var throttled = await _admin.Client.GetAsync("/api/settings");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("Too many failed logins", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_FromAllowedOrigin_IsAllowed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/api-keys");
        request.Headers.Add("Origin", "http://localhost:5173");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var response = await _admin.Anonymous.SendAsync(request);

        Assert.Equal("http://localhost:5173", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Preflight_FromOtherOrigin_GetsNoCorsHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/api-keys");
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");

        var response = await _admin.Anonymous.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Health_WithoutPassword_IsServed()
    {
        var alive = await _admin.Anonymous.GetAsync("/alive");
        var health = await _admin.Anonymous.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Contains("\"status\":\"Healthy\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
