using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class UsageApiSqliteTests() : UsageApiTests(DatabaseKind.Sqlite);

public sealed class UsageApiPostgresTests() : UsageApiTests(DatabaseKind.PostgreSql);

/// <summary>Usage read from the daily roll-ups, with the clock fixed at 2026-03-15 12:00 in Berlin.</summary>
public abstract class UsageApiTests(DatabaseKind kind) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 15, 11, 0, 0, TimeSpan.Zero);

    private AdminHost _admin = null!;
    private Guid _keyId;

    public async Task InitializeAsync()
    {
        var calendar = new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), new ManualTimeProvider(Now));
        _admin = await AdminHost.StartAsync(kind, services: s => s.AddSingleton(calendar));
        var created = await _admin.Client.PostAsJsonAsync("/api/api-keys", new { name = "k" });
        _keyId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        await using var db = await _admin.OpenDbAsync();
        db.UsageDaily.AddRange(
            Row(new DateOnly(2026, 3, 15), "llama3", requests: 2, prompt: 10, completion: 20, gpuNs: 1_500_000_000, timed: 2),
            Row(new DateOnly(2026, 3, 15), "qwen", requests: 1, prompt: 1, completion: 2, gpuNs: 250_000_000, timed: 1),
            Row(new DateOnly(2026, 3, 1), "llama3", requests: 4, prompt: 100, completion: 200, gpuNs: 4_000_000_000, timed: 3),
            Row(new DateOnly(2026, 2, 28), "llama3", requests: 8, prompt: 1000, completion: 2000),
            Row(new DateOnly(2025, 3, 31), "llama3", requests: 16, prompt: 1, completion: 1),
            new UsageDaily { KeyId = Guid.NewGuid(), Day = new DateOnly(2026, 3, 15), Model = "other-key", Requests = 99 });
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task ListKeys_WithRollups_ShowsTodayAndThisMonth()
    {
        var keys = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys");

        var usage = keys.EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == _keyId).GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("today").GetProperty("requests").GetInt64());
        Assert.Equal(33, usage.GetProperty("today").GetProperty("tokens").GetInt64());
        Assert.Equal(7, usage.GetProperty("month").GetProperty("requests").GetInt64());
        Assert.Equal(111, usage.GetProperty("month").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(222, usage.GetProperty("month").GetProperty("completion_tokens").GetInt64());
    }

    [Fact]
    public async Task DailyUsage_Last30Days_ListsEachDayAndModelInOrder()
    {
        var days = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys/{_keyId}/usage/daily?days=30");

        var rows = days.EnumerateArray().Select(d => $"{d.GetProperty("day").GetString()} {d.GetProperty("model").GetString()} {d.GetProperty("requests").GetInt64()}").ToList();
        Assert.Equal(["2026-02-28 llama3 8", "2026-03-01 llama3 4", "2026-03-15 llama3 2", "2026-03-15 qwen 1"], rows);
    }

    [Fact]
    public async Task MonthlyUsage_Last12Months_SumsByMonthAndModel()
    {
        var months = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys/{_keyId}/usage/monthly?months=12");

        var rows = months.EnumerateArray().Select(m => $"{m.GetProperty("month").GetString()} {m.GetProperty("model").GetString()} {m.GetProperty("requests").GetInt64()} {m.GetProperty("completion_tokens").GetInt64()}").ToList();
        Assert.Equal(["2026-02 llama3 8 2000", "2026-03 llama3 6 220", "2026-03 qwen 1 2"], rows);
    }

    [Fact]
    public async Task Usage_GpuTimeInRollups_ShownAsSecondsPerKeyDayMonthAndModel()
    {
        var keys = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys");
        var days = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys/{_keyId}/usage/daily?days=30");
        var months = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys/{_keyId}/usage/monthly?months=12");

        var usage = keys.EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == _keyId).GetProperty("usage");
        Assert.Equal("1.75 s/3", Gpu(usage.GetProperty("today")));
        Assert.Equal("5.75 s/6", Gpu(usage.GetProperty("month")));
        Assert.Equal(
            ["2026-02-28 llama3 0 s/0", "2026-03-01 llama3 4 s/3", "2026-03-15 llama3 1.5 s/2", "2026-03-15 qwen 0.25 s/1"],
            days.EnumerateArray().Select(d => $"{d.GetProperty("day").GetString()} {d.GetProperty("model").GetString()} {Gpu(d)}"));
        Assert.Equal(
            ["2026-02 llama3 0 s/0", "2026-03 llama3 5.5 s/5", "2026-03 qwen 0.25 s/1"],
            months.EnumerateArray().Select(m => $"{m.GetProperty("month").GetString()} {m.GetProperty("model").GetString()} {Gpu(m)}"));
    }

    [Theory]
    [InlineData("daily?days=0")]
    [InlineData("daily?days=400")]
    [InlineData("monthly?months=0")]
    [InlineData("monthly?months=61")]
    public async Task Usage_RangeOutOfBounds_Returns400(string query)
    {
        var response = await _admin.Client.GetAsync($"/api/api-keys/{_keyId}/usage/{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Usage_UnknownKey_Returns404()
    {
        var response = await _admin.Client.GetAsync($"/api/api-keys/{Guid.NewGuid()}/usage/daily");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>GPU seconds and the requests they cover, as "1.5 s/2".</summary>
    private static string Gpu(JsonElement usage) =>
        FormattableString.Invariant($"{usage.GetProperty("gpu_seconds").GetDouble()} s/{usage.GetProperty("timed_requests").GetInt64()}");

    private UsageDaily Row(DateOnly day, string model, long requests, long prompt, long completion, long gpuNs = 0, long timed = 0) => new()
    {
        KeyId = _keyId, Day = day, Model = model, Requests = requests, PromptTokens = prompt, CompletionTokens = completion,
        GpuDurationNs = gpuNs, TimedRequests = timed,
    };
}
