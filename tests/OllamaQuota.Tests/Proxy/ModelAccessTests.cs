using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

/// <summary>A key's allow-list: refused models get 403 before anything is reserved or forwarded; lists show only the rest.</summary>
public sealed class ModelAccessTests : IAsyncLifetime
{
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync() => _proxy = await ProxyHost.StartAsync();

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Theory]
    [InlineData("/api/generate", """{"model":"mistral","prompt":"hi","stream":false}""")]
    [InlineData("/api/chat", """{"model":"llama3:8b","messages":[{"role":"user","content":"hi"}],"stream":false}""")]
    [InlineData("/api/embed", """{"model":"mistral","input":"hi"}""")]
    [InlineData("/api/show", """{"model":"mistral"}""")]
    public async Task OllamaRoute_ModelNotAllowed_Returns403NamingItAndForwardsAndChargesNothing(string path, string body)
    {
        using var client = await ClientAsync("llama3", "qwen2.5:*");

        var response = await client.PostAsync(path, Json(body));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Contains("may not use the model", error, StringComparison.Ordinal);
        Assert.Contains(JsonDocument.Parse(body).RootElement.GetProperty("model").GetString()!, error, StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
        await AssertNoUsageAsync();
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"mistral","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/v1/embeddings", """{"model":"mistral","input":"hi"}""")]
    public async Task OpenAiRoute_ModelNotAllowed_Returns403WithModelNotAllowedCode(string path, string body)
    {
        using var client = await ClientAsync("llama3");

        var response = await client.PostAsync(path, Json(body));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("model_not_allowed", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("permission_error", error.GetProperty("type").GetString());
        Assert.Contains("'mistral'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama3:latest")]
    [InlineData("library/llama3")]
    [InlineData("qwen2.5:0.5b")]
    public async Task Generate_ModelAllowed_Forwarded(string model)
    {
        using var client = await ClientAsync("llama3", "qwen2.5:*");

        var response = await client.PostAsync("/api/generate", Json($$"""{"model":"{{model}}","prompt":"hi","stream":false}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(model, _proxy.Ollama.Requests.Single().Body!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chat_NoModelAndDefaultNotAllowed_Returns403NamingTheDefaultModel()
    {
        using var client = await ClientAsync("qwen2.5:*");

        var response = await client.PostAsync("/api/chat", Json("""{"messages":[{"role":"user","content":"hi"}],"stream":false}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("'llama3'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_proxy.Ollama.Requests);
    }

    [Fact]
    public async Task Tags_KeyWithAllowList_ShowsOnlyAllowedModelsWithTheirLength()
    {
        using var client = await ClientAsync("qwen2.5:*");

        var response = await client.GetAsync("/api/tags");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        using var tags = JsonDocument.Parse(body);
        var model = Assert.Single(tags.RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal("qwen2.5:0.5b", model.GetProperty("name").GetString());
        Assert.Equal(397_821_319L, model.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task OpenAiModels_KeyWithAllowList_ShowsOnlyAllowedModels()
    {
        using var client = await ClientAsync("llama3");

        var response = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal(["llama3:latest"], list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("/api/tags", "models")]
    [InlineData("/v1/models", "data")]
    public async Task ModelList_KeyWithoutAllowList_ShowsEveryModel(string path, string list)
    {
        using var client = await ClientAsync();

        var models = await client.GetFromJsonAsync<JsonElement>(path);

        Assert.Equal(2, models.GetProperty(list).GetArrayLength());
    }

    [Fact]
    public async Task OpenAiModel_NotAllowed_Returns403AndAllowedOneIsForwarded()
    {
        using var client = await ClientAsync("llama3");

        var refused = await client.GetAsync("/v1/models/qwen2.5:0.5b");
        var allowed = await client.GetAsync("/v1/models/llama3:latest");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("model_not_allowed", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task AllowList_ChangedByAdmin_AppliesAfterTheChangeNotice()
    {
        var (id, key) = await _proxy.CreateKeyAsync(allowedModels: ["qwen2.5:*"]);
        using var client = _proxy.ClientFor(key);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/show", Json("""{"model":"llama3"}"""))).StatusCode);

        await using (var db = await _proxy.OpenDbAsync())
        {
            var stored = await db.ApiKeys.SingleAsync(k => k.Id == id);
            stored.AllowedModels = ["llama3"];
            await db.SaveChangesAsync();
            await db.Settings.ExecuteUpdateAsync(s => s.SetProperty(r => r.Revision, r => r.Revision + 1));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            await Task.Delay(100);
            status = (await client.PostAsync("/api/show", Json("""{"model":"llama3"}"""))).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private async Task<HttpClient> ClientAsync(params string[] allowedModels) =>
        _proxy.ClientFor((await _proxy.CreateKeyAsync(allowedModels: allowedModels.Length == 0 ? null : allowedModels)).Key);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A request that is recorded follows; once its event is stored, none came before it.</summary>
    private async Task AssertNoUsageAsync()
    {
        using var other = await ClientAsync();
        (await other.PostAsync("/api/embed", Json("""{"model":"llama3","input":"x"}"""))).EnsureSuccessStatusCode();
        var events = await _proxy.WaitForUsageAsync(1);
        Assert.Equal("llama3", Assert.Single(events).Model);
    }
}
