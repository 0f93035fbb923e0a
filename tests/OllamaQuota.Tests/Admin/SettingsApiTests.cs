using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class SettingsApiSqliteTests() : SettingsApiTests(DatabaseKind.Sqlite);

public sealed class SettingsApiPostgresTests() : SettingsApiTests(DatabaseKind.PostgreSql);

public abstract class SettingsApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private AdminHost _admin = null!;

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(kind, new Dictionary<string, string?>
    {
        ["OLLAMA_URL"] = "http://ollama.internal:11434/",
        ["DEFAULT_MODEL"] = "qwen2.5:0.5b",
    });

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task GetSettings_FirstInit_SeededFromEnvironment()
    {
        var settings = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/settings");

        Assert.Equal("http://ollama.internal:11434", settings.GetProperty("ollama_url").GetString());
        Assert.Equal("qwen2.5:0.5b", settings.GetProperty("default_model").GetString());
    }

    [Fact]
    public async Task UpdateSettings_ValidBody_StoresAndBumpsRevision()
    {
        var response = await PutAsync("""{"ollama_url": "https://gpu-box:11434/", "default_model": "llama3.1"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        var row = await db.Settings.SingleAsync();
        Assert.Equal("https://gpu-box:11434", row.OllamaUrl);
        Assert.Equal("llama3.1", row.DefaultModel);
        Assert.Equal(1, row.Revision);
    }

    [Theory]
    [InlineData("""{"ollama_url": "gpu-box:11434"}""", "ollama_url")]
    [InlineData("""{"ollama_url": "ftp://gpu-box"}""", "ollama_url")]
    [InlineData("""{"ollama_url": 11434}""", "ollama_url")]
    [InlineData("""{"default_model": ""}""", "default_model")]
    [InlineData("""{"default_model": null}""", "default_model")]
    [InlineData("""{"ollama_url": "http://ok:1", "default_model": "  "}""", "default_model")]
    [InlineData("""{"colour": "blue"}""", "colour")]
    [InlineData("""{}""", "body")]
    [InlineData("""{"max_keep_alive": 0}""", "max_keep_alive")]
    [InlineData("""{"max_keep_alive": "-5m"}""", "max_keep_alive")]
    [InlineData("""{"max_keep_alive": "5 minutes"}""", "max_keep_alive")]
    [InlineData("""{"max_keep_alive": "9000h"}""", "max_keep_alive")]
    [InlineData("""{"max_keep_alive": true}""", "max_keep_alive")]
    [InlineData("""{"num_ctx": 4096}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"default": {"max": 0}}}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"default": {"max": 4096, "fixed": 2048}}}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"default": {}}}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"models": {"bad name": {"max": 4096}}}}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"models": {"llama3": {"most": 4096}}}}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"models": {"llama3": {"max": 1.5}}}}""", "num_ctx")]
    [InlineData("""{"num_ctx": {"fallback": {"max": 4096}}}""", "num_ctx")]
    [InlineData("""{"max_images_per_request": -1}""", "max_images_per_request")]
    [InlineData("""{"max_images_per_request": 1001}""", "max_images_per_request")]
    [InlineData("""{"max_image_bytes": "1MB"}""", "max_image_bytes")]
    [InlineData("""{"max_keep_alive": "1h", "max_image_bytes": -1}""", "max_image_bytes")]
    [InlineData("""{"model_slots": 4}""", "model_slots")]
    [InlineData("""{"model_slots": {"default": 0}}""", "model_slots")]
    [InlineData("""{"model_slots": {"default": 1025}}""", "model_slots")]
    [InlineData("""{"model_slots": {"default": "4"}}""", "model_slots")]
    [InlineData("""{"model_slots": {"models": {"llama3": 2.5}}}""", "model_slots")]
    [InlineData("""{"model_slots": {"models": {"llama3": null}}}""", "model_slots")]
    [InlineData("""{"model_slots": {"models": {"bad name": 2}}}""", "model_slots")]
    [InlineData("""{"model_slots": {"slots": 4}}""", "model_slots")]
    [InlineData("""{"queue_timeout_seconds": 0}""", "queue_timeout_seconds")]
    [InlineData("""{"queue_timeout_seconds": 3601}""", "queue_timeout_seconds")]
    [InlineData("""{"queue_timeout_seconds": "60s"}""", "queue_timeout_seconds")]
    [InlineData("""{"model_slots": {"default": 4}, "queue_timeout_seconds": -1}""", "queue_timeout_seconds")]
    public async Task UpdateSettings_InvalidBody_Returns400AndChangesNothing(string body, string field)
    {
        var response = await PutAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for {field}");
        await using var db = await _admin.OpenDbAsync();
        var row = await db.Settings.SingleAsync();
        Assert.Equal("http://ollama.internal:11434", row.OllamaUrl);
        Assert.Equal("qwen2.5:0.5b", row.DefaultModel);
        Assert.Null(row.MaxKeepAliveSeconds);
        Assert.Null(row.NumCtxRules);
        Assert.Null(row.MaxImagesPerRequest);
        Assert.Null(row.MaxImageBytes);
        Assert.Null(row.ModelSlots);
        Assert.Null(row.QueueTimeoutSeconds);
        Assert.Equal(0, row.Revision);
    }

    [Fact]
    public async Task UpdateSettings_FairShare_StoredAndShownThenClearedByNull()
    {
        var response = await PutAsync("""{"model_slots": {"default": 4, "models": {"llama3.2:*": 2, "qwen2.5:0.5b": 1}}, "queue_timeout_seconds": 30}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var shown = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/settings");
        Assert.Equal(4, shown.GetProperty("model_slots").GetProperty("default").GetInt32());
        Assert.Equal(2, shown.GetProperty("model_slots").GetProperty("models").GetProperty("llama3.2:*").GetInt32());
        Assert.Equal(1, shown.GetProperty("model_slots").GetProperty("models").GetProperty("qwen2.5:0.5b").GetInt32());
        Assert.Equal(30, shown.GetProperty("queue_timeout_seconds").GetInt32());

        (await PutAsync("""{"model_slots": null, "queue_timeout_seconds": null}""")).EnsureSuccessStatusCode();

        await using var db = await _admin.OpenDbAsync();
        var row = await db.Settings.SingleAsync();
        Assert.Equal((null, null), (row.ModelSlots, row.QueueTimeoutSeconds));
        Assert.Equal(2, row.Revision);
    }

    [Fact]
    public async Task UpdateSettings_Guardrails_StoredAndShownThenClearedByNull()
    {
        var response = await PutAsync("""
            {"max_keep_alive": "1h30m", "max_images_per_request": 4, "max_image_bytes": 1048576,
             "num_ctx": {"default": {"max": 8192}, "models": {"llama3.2:*": {"fixed": 4096}}}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var shown = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/settings");
        Assert.Equal(5400, shown.GetProperty("max_keep_alive").GetInt64());
        Assert.Equal(4, shown.GetProperty("max_images_per_request").GetInt32());
        Assert.Equal(1048576, shown.GetProperty("max_image_bytes").GetInt64());
        Assert.Equal(8192, shown.GetProperty("num_ctx").GetProperty("default").GetProperty("max").GetInt64());
        Assert.Equal(4096, shown.GetProperty("num_ctx").GetProperty("models").GetProperty("llama3.2:*").GetProperty("fixed").GetInt64());
        Assert.Equal("qwen2.5:0.5b", shown.GetProperty("default_model").GetString());

        (await PutAsync("""{"max_keep_alive": null, "num_ctx": null, "max_images_per_request": null, "max_image_bytes": null}""")).EnsureSuccessStatusCode();

        await using var db = await _admin.OpenDbAsync();
        var row = await db.Settings.SingleAsync();
        Assert.Equal((null, null, null, null), (row.MaxKeepAliveSeconds, row.NumCtxRules, row.MaxImagesPerRequest, row.MaxImageBytes));
        Assert.Equal(2, row.Revision);
    }

    [Theory]
    [InlineData("600", 600)]
    [InlineData("\"10m\"", 600)]
    [InlineData("\"1.5h\"", 5400)]
    public async Task UpdateSettings_MaxKeepAliveSecondsOrDuration_StoredInSeconds(string value, long seconds)
    {
        (await PutAsync($$"""{"max_keep_alive": {{value}}}""")).EnsureSuccessStatusCode();

        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(seconds, (await db.Settings.SingleAsync()).MaxKeepAliveSeconds);
    }

    [Fact]
    public async Task OllamaModels_OllamaRunning_ListsItsModels()
    {
        await using var ollama = await FakeOllama.StartAsync();
        await PutAsync($$"""{"ollama_url": "{{ollama.Url}}"}""");

        var models = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/ollama-models");

        var names = models.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal(["llama3:latest", "qwen2.5:0.5b"], names);
        Assert.Equal(397_821_319L, models.GetProperty("models")[1].GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task OllamaModels_OllamaUnreachable_Returns502WithTheUrl()
    {
        var deadUrl = $"http://127.0.0.1:{PostgresServer.FreePort()}";
        await PutAsync($$"""{"ollama_url": "{{deadUrl}}"}""");

        var response = await _admin.Client.GetAsync("/api/ollama-models");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains(deadUrl, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_OllamaRunning_ReturnsItsVersion()
    {
        await using var ollama = await FakeOllama.StartAsync();

        var response = await _admin.Client.PostAsJsonAsync("/api/settings/test-connection", new { ollama_url = ollama.Url });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FakeOllama.Version, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString());
    }

    [Fact]
    public async Task TestConnection_NothingListening_Returns502()
    {
        var response = await _admin.Client.PostAsJsonAsync("/api/settings/test-connection", new { ollama_url = $"http://127.0.0.1:{PostgresServer.FreePort()}" });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("Could not talk to Ollama", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_NotAUrl_Returns400()
    {
        var response = await _admin.Client.PostAsJsonAsync("/api/settings/test-connection", new { ollama_url = "localhost" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ProxyInfo_NoPublicUrlSet_UsesTheBrowsedHostAndProxyPort()
    {
        var info = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/proxy-info");

        Assert.Equal("http://127.0.0.1:8000", info.GetProperty("base_url").GetString());
        Assert.Equal("http://127.0.0.1:8000/v1", info.GetProperty("openai_base_url").GetString());
        Assert.Contains("http://127.0.0.1:8000/api/chat", info.GetProperty("examples").GetProperty("curl_ollama").GetString(), StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> PutAsync(string body) =>
        _admin.Client.PutAsync("/api/settings", new StringContent(body, Encoding.UTF8, "application/json"));
}
