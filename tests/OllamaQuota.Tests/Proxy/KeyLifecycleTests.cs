using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Proxy.Settings;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>Rotation, deactivation, reactivation and deletion made through the Admin, as a running proxy sees them.</summary>
public sealed class KeyLifecycleTests
{
    [Fact]
    public async Task Chat_ReplacedSecret_WorksThroughItsGraceThenRefusedAsRotated()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await ProxyHost.StartAsync(clock: clock);
        await using var admin = await AdminHost.StartAsync(DatabaseKind.Sqlite, existingDatabaseUrl: proxy.DatabaseUrl);
        var (id, oldKey) = await proxy.CreateKeyAsync();
        using var oldClient = proxy.ClientFor(oldKey);
        Assert.Equal(HttpStatusCode.OK, (await oldClient.SendAsync(Chat())).StatusCode);

        var rotated = await admin.Client.PostAsJsonAsync($"/api/api-keys/{id}/rotate", new { grace_hours = 24 });
        using var newClient = proxy.ClientFor((await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        await WaitForChangeAsync(proxy);

        Assert.Equal(HttpStatusCode.OK, (await oldClient.SendAsync(Chat())).StatusCode);
        clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, (await oldClient.SendAsync(Chat())).StatusCode);
        clock.Advance(TimeSpan.FromHours(1.5));
        var refused = await oldClient.SendAsync(Chat());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("This API key has been rotated: use the new key that replaced it.",
            (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await newClient.SendAsync(Chat())).StatusCode);
        var used = await proxy.WaitForUsageAsync(4);
        Assert.All(used, e => Assert.Equal(id, e.KeyId));
    }

    [Fact]
    public async Task Chat_RotatedWithoutGrace_CachedOldSecretRefusedAtOnceInEitherApiStyle()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.Sqlite, existingDatabaseUrl: proxy.DatabaseUrl);
        var (id, oldKey) = await proxy.CreateKeyAsync();
        using var oldClient = proxy.ClientFor(oldKey);
        Assert.Equal(HttpStatusCode.OK, (await oldClient.SendAsync(Chat())).StatusCode);

        (await admin.Client.PostAsync($"/api/api-keys/{id}/rotate?grace_hours=0", null)).EnsureSuccessStatusCode();
        await WaitForChangeAsync(proxy);

        var ollamaStyle = await oldClient.SendAsync(Chat());
        Assert.Equal(HttpStatusCode.Unauthorized, ollamaStyle.StatusCode);
        Assert.Contains("rotated", (await ollamaStyle.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        var openAiStyle = await oldClient.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, openAiStyle.StatusCode);
        var error = (await openAiStyle.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Contains("rotated", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Chat_KeyDeactivatedReactivatedThenDeleted_RefusedAcceptedRefused()
    {
        await using var proxy = await ProxyHost.StartAsync();
        await using var admin = await AdminHost.StartAsync(DatabaseKind.Sqlite, existingDatabaseUrl: proxy.DatabaseUrl);
        var (id, key) = await proxy.CreateKeyAsync();
        using var client = proxy.ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Chat())).StatusCode);

        (await admin.Client.PutAsync($"/api/api-keys/{id}/deactivate", null)).EnsureSuccessStatusCode();
        await WaitForChangeAsync(proxy);
        var deactivated = await client.SendAsync(Chat());
        (await admin.Client.PostAsync($"/api/api-keys/{id}/reactivate", null)).EnsureSuccessStatusCode();
        await WaitForChangeAsync(proxy);
        var reactivated = await client.SendAsync(Chat());
        (await admin.Client.DeleteAsync($"/api/api-keys/{id}")).EnsureSuccessStatusCode();
        await WaitForChangeAsync(proxy);
        var deleted = await client.SendAsync(Chat());

        Assert.Equal(HttpStatusCode.Unauthorized, deactivated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reactivated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, deleted.StatusCode);
        Assert.Equal("This API key has been deleted.", (await deleted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    /// <summary>Waits until the proxy has loaded the settings revision the Admin's last change wrote.</summary>
    private static async Task WaitForChangeAsync(ProxyHost proxy)
    {
        long revision;
        await using (var db = await proxy.OpenDbAsync())
        {
            revision = (await db.Settings.AsNoTracking().SingleAsync()).Revision;
        }

        var settings = proxy.Services.GetRequiredService<UpstreamSettings>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (settings.Current.Revision != revision && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(revision, settings.Current.Revision);
    }

    private static HttpRequestMessage Chat() => new(HttpMethod.Post, "/api/chat")
    {
        Content = new StringContent("""{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"),
    };
}
