using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class BodyValidationSqliteTests() : BodyValidationTests(DatabaseKind.Sqlite);

public sealed class BodyValidationPostgresTests() : BodyValidationTests(DatabaseKind.PostgreSql);

/// <summary>
/// Every admin body that storage could not hold, or that is not text at all, is a 400 that names the field or the
/// fault, on both providers, and changes nothing. Bodies are bytes, because some are not valid UTF-8.
/// </summary>
public abstract class BodyValidationTests(DatabaseKind kind) : IAsyncLifetime
{
    private const string SeededUrl = "http://ollama.internal:11434";

    /// <summary>Refused field by field: the problem's <c>errors</c> names the field.</summary>
    private static readonly Dictionary<string, (HttpMethod Method, string Path, byte[] Body, string Field)> RefusedFields = new()
    {
        ["ollama_url longer than its column"] = (HttpMethod.Put, "/api/settings", Utf8($$"""{"ollama_url":"http://gpu-box/{{new string('p', 3000)}}"}"""), "ollama_url"),
        ["ollama_url with a NUL"] = (HttpMethod.Put, "/api/settings", Utf8("""{"ollama_url":"http://gpu-box/a\u0000b"}"""), "ollama_url"),
        ["ollama_url with a space"] = (HttpMethod.Put, "/api/settings", Utf8("""{"ollama_url":"http://gpu-box/a b"}"""), "ollama_url"),
        ["test-connection ollama_url longer than its column"] = (HttpMethod.Post, "/api/settings/test-connection", Utf8($$"""{"ollama_url":"http://gpu-box/{{new string('p', 3000)}}"}"""), "ollama_url"),
        ["default_model with a NUL"] = (HttpMethod.Put, "/api/settings", Utf8("""{"default_model":"llama3\u0000"}"""), "default_model"),
        ["default_model with a space"] = (HttpMethod.Put, "/api/settings", Utf8("""{"default_model":"llama 3"}"""), "default_model"),
        ["default_model part of 81 characters"] = (HttpMethod.Put, "/api/settings", Utf8($$"""{"default_model":"{{new string('m', 81)}}"}"""), "default_model"),
        ["key name with a NUL"] = (HttpMethod.Post, "/api/api-keys", Utf8("""{"name":"team\u0000a"}"""), "name"),
        ["key name with a line break"] = (HttpMethod.Post, "/api/api-keys", Utf8("""{"name":"team\na"}"""), "name"),
    };

    /// <summary>Refused as a whole: the problem's <c>detail</c> says why.</summary>
    private static readonly Dictionary<string, (HttpMethod Method, string Path, byte[] Body, string Detail)> RefusedBodies = new()
    {
        ["invalid UTF-8 in a key name"] = (HttpMethod.Post, "/api/api-keys", [.. "{\"name\":\"team"u8, 0xFF, .. "\"}"u8], "not valid UTF-8"),
        ["invalid UTF-8 in an unknown field's name"] = (HttpMethod.Post, "/api/api-keys", [.. "{\"name\":\"k\",\"x"u8, 0xC3, .. "\":1}"u8], "not valid UTF-8"),
        ["invalid UTF-8 in default_model"] = (HttpMethod.Put, "/api/settings", [.. "{\"default_model\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8], "not valid UTF-8"),
        ["lone surrogate escape in a key name"] = (HttpMethod.Post, "/api/api-keys", Utf8("""{"name":"team\ud800"}"""), "lone surrogate"),
        ["lone surrogate escape in ollama_url"] = (HttpMethod.Put, "/api/settings", Utf8("""{"ollama_url":"http://gpu-box/\udfff"}"""), "lone surrogate"),
        ["duplicate field"] = (HttpMethod.Patch, $"/api/api-keys/{Guid.NewGuid()}/quota", Utf8("""{"daily_tokens":1,"daily_tokens":null}"""), "Duplicate property 'daily_tokens'"),
        ["nesting deeper than the limit"] = (HttpMethod.Put, "/api/settings", Utf8($$"""{"default_model":{{new string('[', 100)}}{{new string(']', 100)}}}"""), "depth"),
    };

    private AdminHost _admin = null!;

    public static TheoryData<string> RefusedFieldCases => [.. RefusedFields.Keys];

    public static TheoryData<string> RefusedBodyCases => [.. RefusedBodies.Keys];

    public async Task InitializeAsync() => _admin = await AdminHost.StartAsync(kind, new Dictionary<string, string?>
    {
        ["OLLAMA_URL"] = SeededUrl,
        ["DEFAULT_MODEL"] = "llama3",
    });

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Theory]
    [MemberData(nameof(RefusedFieldCases))]
    public async Task FieldStorageCannotHold_Returns400NamingItAndChangesNothing(string name)
    {
        var (method, path, body, field) = RefusedFields[name];

        var response = await SendAsync(method, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for {field}: {problem}");
        await AssertNothingChangedAsync();
    }

    [Theory]
    [MemberData(nameof(RefusedBodyCases))]
    public async Task MalformedBody_Returns400SayingWhyAndChangesNothing(string name)
    {
        var (method, path, body, detail) = RefusedBodies[name];

        var response = await SendAsync(method, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task UpdateSettings_ValuesAtTheirColumnLengths_AreStored()
    {
        var url = "http://gpu-box/" + new string('p', 2048 - "http://gpu-box/".Length);
        var model = "registry.example.com/" + new string('n', 80) + "/" + new string('m', 80) + ":" + new string('t', 17);

        var response = await SendAsync(HttpMethod.Put, "/api/settings", Utf8($$"""{"ollama_url":"{{url}}","default_model":"{{model}}"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        var row = await db.Settings.SingleAsync();
        Assert.Equal((2048, 200), (row.OllamaUrl.Length, row.DefaultModel.Length));
        Assert.Equal((url, model), (row.OllamaUrl, row.DefaultModel));
    }

    [Fact]
    public async Task CreateKey_NameAtItsColumnLengthInNonAsciiText_IsStored()
    {
        var name = string.Concat(Enumerable.Repeat("ü😀", 200 / 3)) + "üü";

        var response = await SendAsync(HttpMethod.Post, "/api/api-keys", Utf8($$"""{"name":"{{name}}"}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await using var db = await _admin.OpenDbAsync();
        Assert.Equal(name, (await db.ApiKeys.SingleAsync()).Name);
    }

    private async Task AssertNothingChangedAsync()
    {
        await using var db = await _admin.OpenDbAsync();
        Assert.Empty(await db.ApiKeys.ToListAsync());
        var row = await db.Settings.SingleAsync();
        Assert.Equal((SeededUrl, "llama3", 0L), (row.OllamaUrl, row.DefaultModel, row.Revision));
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return _admin.Client.SendAsync(new HttpRequestMessage(method, path) { Content = content });
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
