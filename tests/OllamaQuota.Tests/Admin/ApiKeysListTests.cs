using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OllamaQuota.Core.Data;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

public sealed class ApiKeysListSqliteTests() : ApiKeysListTests(DatabaseKind.Sqlite);

public sealed class ApiKeysListPostgresTests() : ApiKeysListTests(DatabaseKind.PostgreSql);

/// <summary>The keys list searched, filtered, sorted and paged in the database, with the total in X-Total-Count; one key by id.</summary>
public abstract class ApiKeysListTests(DatabaseKind kind) : IAsyncLifetime
{
    private AdminHost _admin = null!;
    private readonly List<Guid> _ids = [];

    public async Task InitializeAsync()
    {
        _admin = await AdminHost.StartAsync(kind);
        foreach (var name in new[] { "Charlie", "alpha", "Bravo", "delta", "Echo-team" })
        {
            var created = await _admin.Client.PostAsJsonAsync("/api/api-keys", new { name });
            _ids.Add((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        }

        await using var db = await _admin.OpenDbAsync();
        var delta = await db.ApiKeys.FindAsync(_ids[3]);
        delta!.IsActive = false;
        var echo = await db.ApiKeys.FindAsync(_ids[4]);
        echo!.ExpiresAt = DateTime.UtcNow.AddDays(-1);
        db.UsageDaily.Add(new UsageDaily { KeyId = _ids[1], Day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeBySystemTimeZoneId(DateTime.UtcNow, "Europe/Berlin")), Model = "llama3", Requests = 3 });
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task ListKeys_SortedByNamePagedBy2_EachPageAndTheTotal()
    {
        var first = await _admin.Client.GetAsync("/api/api-keys?sort=name&limit=2");
        var second = await ListAsync("sort=name&limit=2&offset=2");
        var last = await ListAsync("sort=name&dir=desc&limit=2&offset=4");

        Assert.Equal("5", first.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal(["alpha", "Bravo"], Names(await first.Content.ReadFromJsonAsync<JsonElement>()), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(["Charlie", "delta"], second, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(["alpha"], last, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ListKeys_SearchAnyCaseInNameOrPrefix_FindsTheMatches()
    {
        Assert.Equal(["Echo-team"], await ListAsync("search=ECHO"));
        var prefix = (await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys")).EnumerateArray()
            .Single(k => k.GetProperty("name").GetString() == "Bravo").GetProperty("key_prefix").GetString()!;
        Assert.Contains("Bravo", await ListAsync($"search={prefix}"));
    }

    [Fact]
    public async Task ListKeys_StatusFilter_ListsOnlyKeysInThatStatus()
    {
        Assert.Equal(["delta"], await ListAsync("status=deactivated"));
        Assert.Equal(["Echo-team"], await ListAsync("status=expired"));
        Assert.Equal(["alpha", "Bravo", "Charlie"], await ListAsync("status=active&sort=name"));
    }

    [Fact]
    public async Task ListKeys_Page_CarriesTheUsageOfItsKeys()
    {
        var page = await _admin.Client.GetFromJsonAsync<JsonElement>("/api/api-keys?search=alpha&limit=1");

        Assert.Equal(3, page.EnumerateArray().Single().GetProperty("usage").GetProperty("month").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task ListKeys_NoParameters_ListsEveryKeyNewestFirst()
    {
        Assert.Equal(["Echo-team", "delta", "Bravo", "alpha", "Charlie"], await ListAsync(""));
    }

    [Fact]
    public async Task ListKeys_OwnerFilter_ListsOnlyThatOwnersKeysAndCountsThem()
    {
        var created = await _admin.Client.PostAsJsonAsync("/api/owners", new { name = "Team" });
        var owner = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        foreach (var key in new[] { _ids[0], _ids[2] })
        {
            (await _admin.Client.PutAsJsonAsync($"/api/api-keys/{key}/owner", new { owner_id = owner })).EnsureSuccessStatusCode();
        }

        var page = await _admin.Client.GetAsync($"/api/api-keys?owner_id={owner}&sort=name&limit=1");

        Assert.Equal("2", page.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal(["Bravo"], Names(await page.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal(["Bravo", "Charlie"], await ListAsync($"owner_id={owner}&sort=name"));
    }

    [Fact]
    public async Task GetKey_DeletedKey_ReturnsItWithItsUsage()
    {
        (await _admin.Client.DeleteAsync($"/api/api-keys/{_ids[1]}")).EnsureSuccessStatusCode();

        var key = await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys/{_ids[1]}");

        Assert.Equal("alpha", key.GetProperty("name").GetString());
        Assert.Equal("deleted", key.GetProperty("status").GetString());
        Assert.Equal(3, key.GetProperty("usage").GetProperty("month").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task GetKey_UnknownId_Returns404()
    {
        var response = await _admin.Client.GetAsync($"/api/api-keys/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("offset=-1")]
    [InlineData("sort=usage")]
    [InlineData("dir=up")]
    [InlineData("status=gone")]
    [InlineData("owner_id=team")]
    public async Task ListKeys_BadQuery_Returns400(string query)
    {
        var response = await _admin.Client.GetAsync($"/api/api-keys?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<List<string>> ListAsync(string query) =>
        Names(await _admin.Client.GetFromJsonAsync<JsonElement>($"/api/api-keys?{query}"));

    private static List<string> Names(JsonElement keys) => [.. keys.EnumerateArray().Select(k => k.GetProperty("name").GetString()!)];
}
