using Microsoft.EntityFrameworkCore;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Admin;

/// <summary>The Admin program as a user runs it: its command-line tasks, and its refusals to start.</summary>
public sealed class AdminProcessTests
{
    private const string Admin = "OllamaQuota.Admin";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task InitDb_RunTwice_MigratesThenReportsUpToDate()
    {
        var cwd = ServiceProcess.NewWorkingDirectory();

        var first = await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");
        var second = await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("applied 20261122000000_Initial", first.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(cwd, "data", "ollamaquota.db")), "the default DATABASE_URL is ./data/ollamaquota.db");
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("is up to date", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_WithLimits_PrintsTheKeyOnceAndStoresItsHash()
    {
        var cwd = ServiceProcess.NewWorkingDirectory();
        await File.WriteAllTextAsync(Path.Combine(cwd, ".env"), "DATABASE_URL=sqlite:///./custom/quota.db\n");
        await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");

        var result = await ServiceProcess.RunAsync(
            Admin, cwd, new Dictionary<string, string?>(), Timeout,
            "create-key", "--name", "batch-job", "--daily-tokens", "5000", "--monthly-requests", "100", "--expires-at", "2099-12-31",
            "--allowed-models", "llama3.2:*, qwen2.5:7b");

        Assert.Equal(0, result.ExitCode);
        var plaintext = result.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("sk-", StringComparison.Ordinal));
        Assert.Contains("only time the key is shown", result.Output, StringComparison.Ordinal);
        await using var db = await TestDatabases.OpenAsync($"sqlite:///{Path.Combine(cwd, "custom", "quota.db")}");
        var key = await db.ApiKeys.SingleAsync();
        Assert.Equal(ApiKeySecret.Hash(plaintext), key.KeyHash);
        Assert.Equal("batch-job", key.Name);
        Assert.Equal(5000, key.DailyTokens);
        Assert.Equal(100, key.MonthlyRequests);
        Assert.Null(key.MonthlyTokens);
        Assert.Equal(["llama3.2:*", "qwen2.5:7b"], key.AllowedModels!);
        var audit = await db.AuditEvents.SingleAsync();
        Assert.Equal(("cli", null, "api_key.create", key.Id.ToString("D")), (audit.Actor, audit.CallerAddress, audit.Action, audit.TargetId));
        Assert.DoesNotContain(plaintext, audit.After!, StringComparison.Ordinal);
        Assert.DoesNotContain(key.KeyHash, audit.After!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--daily-tokens", "-5", "--daily-tokens must be zero or a positive whole number")]
    [InlineData("--expires-at", "2001-01-01", "--expires-at must be in the future")]
    [InlineData("--colour", "blue", "unknown option --colour")]
    [InlineData("--allowed-models", "llama3,bad name", "--allowed-models entry 2 ('bad name')")]
    public async Task CreateKey_BadOption_FailsAndCreatesNothing(string option, string value, string message)
    {
        var cwd = ServiceProcess.NewWorkingDirectory();
        await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");

        var result = await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "create-key", "--name", "k", option, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        await using var db = await TestDatabases.OpenAsync($"sqlite:///{Path.Combine(cwd, "data", "ollamaquota.db")}");
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }

    [Fact]
    public async Task CreateKey_OwnerByNameThenById_PutsEachKeyUnderThatOwner()
    {
        var cwd = ServiceProcess.NewWorkingDirectory();
        await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");
        var (team, other) = await AddOwnersAsync(cwd, "Team Alice", "Other");

        var byName = await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "create-key", "--name", "laptop", "--owner", "Team Alice");
        var byId = await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "create-key", "--name", "ci", "--owner", other.ToString());

        Assert.Equal((0, 0), (byName.ExitCode, byId.ExitCode));
        Assert.Contains($"Owner: Team Alice (id {team})", byName.Output, StringComparison.Ordinal);
        await using var db = await TestDatabases.OpenAsync($"sqlite:///{Path.Combine(cwd, "data", "ollamaquota.db")}");
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.Name).ToListAsync();
        Assert.Equal([("ci", (Guid?)other), ("laptop", team)], keys.Select(k => (k.Name, k.OwnerId)));
        var audit = await db.AuditEvents.AsNoTracking().SingleAsync(a => a.TargetId == keys[1].Id.ToString("D"));
        Assert.Contains("Team Alice", audit.After!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Nobody", "--owner: there is no owner named 'Nobody'")]
    [InlineData("0f000000-0000-4000-8000-000000000000", "--owner: there is no owner with id 0f000000-0000-4000-8000-000000000000")]
    [InlineData("Twin", "--owner: several owners are named 'Twin'; give the id")]
    public async Task CreateKey_OwnerNotFoundOrAmbiguous_FailsSayingSoAndCreatesNothing(string owner, string message)
    {
        var cwd = ServiceProcess.NewWorkingDirectory();
        await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");
        await AddOwnersAsync(cwd, "Twin", "Twin");

        var result = await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "create-key", "--name", "k", "--owner", owner);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        await using var db = await TestDatabases.OpenAsync($"sqlite:///{Path.Combine(cwd, "data", "ollamaquota.db")}");
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }

    public static TheoryData<string, string?, string> BadStarts => new()
    {
        { "ADMIN_PASSWORD", null, "ADMIN_PASSWORD is not set" },
        { "ADMIN_PASSWORD", "short", "ADMIN_PASSWORD is too short" },
        { "DATABASE_URL", "mysql://root@localhost/db", "DATABASE_URL is not valid" },
        { "DATABASE_URL", "postgresql://user:hunter2@/nodb", "DATABASE_URL is not valid" },
        { "APP_TZ", "Mars/Olympus_Mons", "APP_TZ 'Mars/Olympus_Mons' is not a known time zone" },
        { "ADMIN_PORT", "eighty", "ADMIN_PORT 'eighty' is not a port number" },
        { "ALLOWED_ORIGINS", "not a url", "ALLOWED_ORIGINS contains 'not a url'" },
        { "ADMIN_TRUSTED_PROXIES", "10.0.0.0/8, nginx", "ADMIN_TRUSTED_PROXIES contains 'nginx'" },
    };

    [Theory]
    [MemberData(nameof(BadStarts))]
    public async Task Start_BadSetting_RefusesWithMessageNamingIt(string variable, string? value, string message)
    {
        var cwd = ServiceProcess.NewWorkingDirectory();
        await ServiceProcess.RunAsync(Admin, cwd, new Dictionary<string, string?>(), Timeout, "init-db");
        var environment = new Dictionary<string, string?> { ["ADMIN_PASSWORD"] = AdminHost.Password, ["ADMIN_PORT"] = "0" };
        environment[variable] = value;
        if (value is null)
        {
            environment.Remove(variable);
        }

        var result = await ServiceProcess.RunAsync(Admin, cwd, environment, Timeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UninitialisedDatabase_RefusesAndSaysToRunInitDb()
    {
        var cwd = ServiceProcess.NewWorkingDirectory();
        var environment = new Dictionary<string, string?> { ["ADMIN_PASSWORD"] = AdminHost.Password, ["ADMIN_PORT"] = "0" };

        var result = await ServiceProcess.RunAsync(Admin, cwd, environment, Timeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not initialised", result.Error, StringComparison.Ordinal);
        Assert.Contains("-- init-db", result.Error, StringComparison.Ordinal);
    }

    private static async Task<(Guid First, Guid Second)> AddOwnersAsync(string cwd, string first, string second)
    {
        await using var db = await TestDatabases.OpenAsync($"sqlite:///{Path.Combine(cwd, "data", "ollamaquota.db")}");
        Owner[] owners = [new() { Id = Guid.NewGuid(), Name = first, CreatedAt = DateTime.UtcNow }, new() { Id = Guid.NewGuid(), Name = second, CreatedAt = DateTime.UtcNow }];
        db.Owners.AddRange(owners);
        await db.SaveChangesAsync();
        return (owners[0].Id, owners[1].Id);
    }
}
