using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OllamaQuota.Admin.Apis;
using OllamaQuota.Core.Data;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class RequestLogApiSqliteTests() : RequestLogApiTests(DatabaseKind.Sqlite);

public sealed class RequestLogApiPostgresTests() : RequestLogApiTests(DatabaseKind.PostgreSql);

/// <summary>The request log: usage events newest first, filtered and keyset-paged on the server, and as CSV.</summary>
public abstract class RequestLogApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private const string FormulaModel = "=cmd|' /C calc'!A0";
    private static readonly DateTime T = new(2026, 3, 15, 10, 0, 0, DateTimeKind.Utc);

    private AdminHost _admin = null!;
    private Guid _alpha;
    private Guid _beta;
    private readonly Dictionary<string, UsageEvent> _events = [];

    public async Task InitializeAsync()
    {
        _admin = await AdminHost.StartAsync(kind);
        _alpha = await CreateKeyAsync("alpha");
        _beta = await CreateKeyAsync("beta, the second");
        Add("e1", _alpha, "llama3", "/api/chat", 200, T.AddMinutes(-5), gpuNs: 1_250_000_000);
        Add("e2", _alpha, "qwen", "/api/generate", 200, T.AddMinutes(-4));
        Add("e3", _beta, "llama3", "/v1/chat/completions", 429, T.AddMinutes(-3), refused: true);
        Add("e4", _beta, FormulaModel, "/api/chat", 200, T.AddMinutes(-2));
        Add("e5", _alpha, "llama3", "/api/chat", 502, T.AddMinutes(-1));

        // Three at the same instant: a page boundary falls among them, where only the id orders them.
        Add("e6", _alpha, "llama3", "/api/chat", 200, T);
        Add("e7", _alpha, "llama3", "/api/chat", 200, T);
        Add("e8", _alpha, "llama3", "/api/chat", 200, T);
        await using var db = await _admin.OpenDbAsync();
        db.UsageEvents.AddRange(_events.Values);
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task Requests_PagesOf2FollowingTheCursor_ListEveryEventOnceNewestFirst()
    {
        var seen = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/requests?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        // Eight events: four full pages, then an empty one (a full page cannot know it was the last).
        Assert.Equal(5, pages);
        Assert.Equal(_events.Values.Select(e => e.Id).Order(), seen.Select(e => e.GetProperty("id").GetGuid()).Order());
        var times = seen.Select(e => e.GetProperty("created_at").GetDateTime()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal(["e6", "e7", "e8"], Names(seen.Take(3)).Order());
        Assert.Equal(["e5", "e4", "e3", "e2", "e1"], Names(seen.Skip(3)));
    }

    [Fact]
    public async Task Requests_EachFilter_ListsOnlyTheMatchingEvents()
    {
        Assert.Equal(["e4", "e3"], await ListAsync($"key_id={_beta}"));
        Assert.Equal(["e2"], await ListAsync("model=qwen"));
        Assert.Equal(["e2"], await ListAsync("endpoint=/api/generate"));
        Assert.Equal(["e5"], await ListAsync("status=502"));
        Assert.Equal(["e3"], await ListAsync($"key_id={_beta}&status=429"));
        Assert.Equal(["e3", "e2"], await ListAsync("from=2026-03-15T09:56:00Z&to=2026-03-15T09:58:00Z"));
        Assert.Empty(await ListAsync("model=nothing"));
    }

    [Fact]
    public async Task Requests_Item_CarriesKeyNameStatusRefusalTokensAndGpuTime()
    {
        var page = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/requests?key_id={_beta}&status=429");
        var refused = Assert.Single(page.GetProperty("items").EnumerateArray());
        var timed = (await _admin.Client.GetFromJsonAsync<JsonElement>("/api/requests?model=llama3&endpoint=/api/chat&status=200&to=2026-03-15T09:56:00Z"))
            .GetProperty("items").EnumerateArray().Single();

        Assert.Equal(("beta, the second", "/v1/chat/completions", 429, true, 0), (
            refused.GetProperty("key_name").GetString(), refused.GetProperty("endpoint").GetString(), refused.GetProperty("status").GetInt32(),
            refused.GetProperty("refused").GetBoolean(), refused.GetProperty("prompt_tokens").GetInt32()));
        Assert.StartsWith("sk-", refused.GetProperty("key_prefix").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("gpu_seconds").ValueKind);
        Assert.Equal(1.25, timed.GetProperty("gpu_seconds").GetDouble());
    }

    [Fact]
    public async Task RequestsCsv_Filtered_StreamsEveryMatchWithFormulasDefusedAndCommasQuoted()
    {
        var response = await _admin.Client.GetAsync($"/api/requests.csv?key_id={_beta}");

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("requests.csv", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n");
        Assert.Equal(RequestLogCsv.Header.TrimEnd(), lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Equal("", lines[3]);
        Assert.StartsWith($"2026-03-15T09:58:00.000Z,{_beta},\"beta, the second\",sk-", lines[1], StringComparison.Ordinal);
        Assert.EndsWith($",'{FormulaModel},/api/chat,200,false,12,20,5,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",llama3,/v1/chat/completions,429,true,0,0,5,", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsCsv_MoreThanOnePageOfMatches_ListsThemAll()
    {
        await using (var db = await _admin.OpenDbAsync())
        {
            db.UsageEvents.AddRange(Enumerable.Range(0, 2500).Select(i => Event(_alpha, "bulk", "/api/embed", 200, T.AddSeconds(-i))));
            await db.SaveChangesAsync();
        }

        var csv = await _admin.Client.GetStringAsync("/api/requests.csv?model=bulk");

        Assert.Equal(2501, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("cursor=nonsense")]
    [InlineData("cursor=5.zz")]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("key_id=not-a-guid")]
    [InlineData("from=yesterday")]
    public async Task Requests_BadQuery_Returns400(string query)
    {
        var response = await _admin.Client.GetAsync($"/api/requests?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("llama3", "llama3")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=a,b", "\"'=a,b\"")]
    [InlineData("", "")]
    public void Text_Cell_DefusedThenQuoted(string value, string expected) => Assert.Equal(expected, RequestLogCsv.Text(value));

    private async Task<List<string>> ListAsync(string query)
    {
        var page = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/requests?{query}");
        return Names(page.GetProperty("items").EnumerateArray());
    }

    private List<string> Names(IEnumerable<JsonElement> items) =>
        [.. items.Select(i => _events.Single(e => e.Value.Id == i.GetProperty("id").GetGuid()).Key)];

    private void Add(string name, Guid keyId, string model, string endpoint, int status, DateTime at, bool refused = false, long? gpuNs = null)
    {
        var usage = Event(keyId, model, endpoint, status, at);
        usage.Refused = refused;
        (usage.PromptTokens, usage.CompletionTokens) = refused ? (0, 0) : (12, 20);
        usage.EvalDurationNs = gpuNs;
        _events[name] = usage;
    }

    private static UsageEvent Event(Guid keyId, string model, string endpoint, int status, DateTime at) => new()
    {
        Id = Guid.NewGuid(), KeyId = keyId, Model = model, Endpoint = endpoint, StatusCode = status, DurationMs = 5, CreatedAt = at,
        PromptTokens = 12, CompletionTokens = 20,
    };

    private async Task<Guid> CreateKeyAsync(string name)
    {
        var created = await _admin.Client.PostAsJsonAsync("/api/api-keys", new { name });
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
