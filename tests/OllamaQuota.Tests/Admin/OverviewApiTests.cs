using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class OverviewApiSqliteTests() : OverviewApiTests(DatabaseKind.Sqlite);

public sealed class OverviewApiPostgresTests() : OverviewApiTests(DatabaseKind.PostgreSql);

/// <summary>The overview across all keys, from the roll-ups, with the clock fixed at 2026-03-15 12:00 in Berlin.</summary>
public abstract class OverviewApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 15, 11, 0, 0, TimeSpan.Zero);
    private static readonly Guid DeletedKey = Guid.NewGuid();

    private AdminHost _admin = null!;
    private Guid _alpha;
    private Guid _beta;

    public async Task InitializeAsync()
    {
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), new ManualTimeProvider(Now));
        _admin = await AdminHost.StartAsync(kind, services: s => s.AddSingleton(calendar));
        _alpha = await CreateKeyAsync("alpha");
        _beta = await CreateKeyAsync("beta");

        await using var db = await _admin.OpenDbAsync();
        db.UsageDaily.AddRange(
            Row(_alpha, 3, 15, "llama3", requests: 2, prompt: 10, completion: 20, gpuNs: 1_500_000_000, timed: 2, errors: 1, refused429: 3),
            Row(_alpha, 3, 15, "qwen", requests: 1, prompt: 1, completion: 2),
            Row(_beta, 3, 15, "llama3", requests: 5, prompt: 100, completion: 100, refused503: 2),
            Row(_alpha, 3, 1, "llama3", requests: 4, prompt: 100, completion: 200),
            Row(DeletedKey, 3, 10, "qwen", requests: 1, prompt: 1000, completion: 0),
            Row(_alpha, 2, 28, "llama3", requests: 8, prompt: 5000, completion: 5000, errors: 9));
        await db.SaveChangesAsync();
        await TestDatabases.FillCoarseRollupsAsync(db);
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task Overview_Today_TotalsByModelAndTopKeysOfTodayOnly()
    {
        var overview = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/overview?period=today");

        Assert.Equal(("today", "2026-03-15", "2026-03-15"), (Text(overview, "period"), Text(overview, "from"), Text(overview, "to")));
        Assert.Equal("8 233 1.5 s/2 errors 1 429:3 503:2", Totals(overview.GetProperty("totals")));
        Assert.Equal(
            ["llama3 7 230 1.5 s/2 errors 1 429:3 503:2", "qwen 1 3 0 s/0 errors 0 429:0 503:0"],
            overview.GetProperty("by_model").EnumerateArray().Select(m => $"{Text(m, "model")} {Totals(m.GetProperty("usage"))}"));
        Assert.Equal(
            [$"{_beta} beta 200", $"{_alpha} alpha 33"],
            overview.GetProperty("top_keys").EnumerateArray().Select(k => $"{k.GetProperty("key_id").GetGuid()} {Text(k, "name")} {k.GetProperty("usage").GetProperty("tokens").GetInt64()}"));
    }

    [Fact]
    public async Task Overview_MonthWithTop2_SumsTheMonthAndNamesNoDeletedKey()
    {
        var overview = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/overview?period=month&top=2");

        Assert.Equal(("2026-03-01", "2026-03-15"), (Text(overview, "from"), Text(overview, "to")));
        Assert.Equal("13 1533 1.5 s/2 errors 1 429:3 503:2", Totals(overview.GetProperty("totals")));
        var top = overview.GetProperty("top_keys").EnumerateArray().ToList();
        Assert.Equal([DeletedKey, _alpha], top.Select(k => k.GetProperty("key_id").GetGuid()));
        Assert.Equal(JsonValueKind.Null, top[0].GetProperty("name").ValueKind);
        Assert.Equal(333, top[1].GetProperty("usage").GetProperty("tokens").GetInt64());
    }

    [Fact]
    public async Task Overview_AnyPeriod_DailySeriesListsEachDayAndModelOfTheMonthWithUsage()
    {
        var overview = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/overview?period=today");

        Assert.Equal(
            ["2026-03-01 llama3 4 300", "2026-03-10 qwen 1 1000", "2026-03-15 llama3 7 230", "2026-03-15 qwen 1 3"],
            overview.GetProperty("daily").EnumerateArray().Select(d =>
                $"{Text(d, "day")} {Text(d, "model")} {d.GetProperty("requests").GetInt64()} {d.GetProperty("prompt_tokens").GetInt64() + d.GetProperty("completion_tokens").GetInt64()}"));
        Assert.Equal(3, overview.GetProperty("daily")[2].GetProperty("refused_429").GetInt64());
    }

    [Fact]
    public async Task Overview_Today_ByOwnerGroupsTheKeysWithoutAnOwnerInOneRow()
    {
        var team = await CreateOwnerAsync("team");
        await _admin.Client.PutAsJsonAsync($"/api/api-keys/{_alpha}/owner", new { owner_id = team });

        var overview = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/overview?period=today");

        Assert.Equal(["- - 200 503:2", $"{team} team 33 503:0"], ByOwner(overview));
    }

    [Fact]
    public async Task Overview_Month_ByOwnerCountsAKeyUnderTheOwnerItHasNowAndAnUnknownKeyUnderNone()
    {
        var team = await CreateOwnerAsync("team");
        var other = await CreateOwnerAsync("other");
        await _admin.Client.PutAsJsonAsync($"/api/api-keys/{_alpha}/owner", new { owner_id = other });
        await _admin.Client.PutAsJsonAsync($"/api/api-keys/{_alpha}/owner", new { owner_id = team });

        var overview = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/overview?period=month");

        Assert.Equal(["- - 1200 503:2", $"{team} team 333 503:0"], ByOwner(overview));
    }

    [Theory]
    [InlineData("period=week")]
    [InlineData("top=0")]
    [InlineData("top=101")]
    public async Task Overview_BadQuery_Returns400(string query)
    {
        var response = await _admin.Client.GetAsync($"/api/overview?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Overview_WithoutPassword_Returns401()
    {
        var response = await _admin.Anonymous.GetAsync("/api/overview");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static string Text(JsonElement element, string property) => element.GetProperty(property).GetString()!;

    /// <summary>"owner_id name tokens 503:refusals" per row, "-" for a null id or name.</summary>
    private static IEnumerable<string> ByOwner(JsonElement overview) => overview.GetProperty("by_owner").EnumerateArray().Select(o =>
        $"{o.GetProperty("owner_id").GetString() ?? "-"} {o.GetProperty("name").GetString() ?? "-"} {o.GetProperty("usage").GetProperty("tokens").GetInt64()} 503:{o.GetProperty("usage").GetProperty("refused_503").GetInt64()}");

    private async Task<Guid> CreateOwnerAsync(string name)
    {
        var created = await _admin.Client.PostAsJsonAsync("/api/owners", new { name });
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>"requests tokens gpu errors refusals", e.g. "8 233 1.5 s/2 errors 1 429:3 503:2".</summary>
    private static string Totals(JsonElement usage) => FormattableString.Invariant(
        $"{usage.GetProperty("requests").GetInt64()} {usage.GetProperty("tokens").GetInt64()} {usage.GetProperty("gpu_seconds").GetDouble()} s/{usage.GetProperty("timed_requests").GetInt64()} errors {usage.GetProperty("errors").GetInt64()} 429:{usage.GetProperty("refused_429").GetInt64()} 503:{usage.GetProperty("refused_503").GetInt64()}");

    private async Task<Guid> CreateKeyAsync(string name)
    {
        var created = await _admin.Client.PostAsJsonAsync("/api/api-keys", new { name });
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static UsageDaily Row(
        Guid keyId, int month, int day, string model, long requests, long prompt, long completion, long gpuNs = 0, long timed = 0,
        long errors = 0, long refused429 = 0, long refused503 = 0) => new()
    {
        KeyId = keyId, Day = new DateOnly(2026, month, day), Model = model, Requests = requests, PromptTokens = prompt,
        CompletionTokens = completion, GpuDurationNs = gpuNs, TimedRequests = timed, Errors = errors,
        RefusedRateLimited = refused429, RefusedUnavailable = refused503,
    };
}
