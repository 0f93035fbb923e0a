using Microsoft.Extensions.Configuration;
using Npgsql;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Tests.Core;

public sealed class DatabaseUrlTests
{
    [Fact]
    public void Parse_SqliteRelativePath_ResolvesAgainstWorkingDirectory()
    {
        var url = DatabaseUrl.Parse("sqlite:///./data/ollamaquota.db");

        Assert.Equal(DatabaseProvider.Sqlite, url.Provider);
        Assert.Equal(Path.GetFullPath("./data/ollamaquota.db"), url.SqlitePath);
    }

    [Fact]
    public void Parse_SqliteAbsolutePath_KeepsIt()
    {
        Assert.Equal("/var/lib/oq/q.db", DatabaseUrl.Parse("sqlite:////var/lib/oq/q.db").SqlitePath);
    }

    [Theory]
    [InlineData("postgresql://app:p%40ss@db.local:5433/quota?sslmode=require", "db.local", 5433, "app", "p@ss", "quota")]
    [InlineData("postgres://app@db.local/quota", "db.local", 5432, "app", null, "quota")]
    [InlineData("postgresql://u:pw@[::1]:6000/q", "[::1]", 6000, "u", "pw", "q")]
    public void Parse_PostgresUrl_BuildsNpgsqlConnectionString(string text, string host, int port, string user, string? password, string database)
    {
        var url = DatabaseUrl.Parse(text);

        Assert.Equal(DatabaseProvider.PostgreSql, url.Provider);
        var builder = new NpgsqlConnectionStringBuilder(url.ConnectionString);
        Assert.Equal(host, builder.Host);
        Assert.Equal(port, builder.Port);
        Assert.Equal(user, builder.Username);
        Assert.Equal(password, builder.Password);
        Assert.Equal(database, builder.Database);
        Assert.DoesNotContain("p@ss", url.Display, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mysql://root@localhost/db")]
    [InlineData("sqlite://")]
    [InlineData("sqlite:///")]
    [InlineData("postgresql://user:secret@host:5432/")]
    [InlineData("postgresql://user:secret@host:5432/db?nonsense_option=1")]
    [InlineData("just words")]
    public void Parse_Malformed_ThrowsNamingTheVariableWithoutThePassword(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => DatabaseUrl.Parse(text));

        Assert.StartsWith("DATABASE_URL is not valid", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_AspireConnectionString_WinsOverDatabaseUrl()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:quotadb"] = "Host=pg;Port=5432;Username=postgres;Password=x;Database=quotadb",
            ["DATABASE_URL"] = "sqlite:///./ignored.db",
        }).Build();

        var url = DatabaseUrl.FromConfiguration(configuration);

        Assert.Equal(DatabaseProvider.PostgreSql, url.Provider);
        Assert.Equal("postgresql://postgres@pg:5432/quotadb", url.Display);
    }

    [Theory]
    [InlineData("postgresql://u@h/db", DatabaseUrl.DefaultMaxPoolSize)]
    [InlineData("postgresql://u@h/db?Maximum%20Pool%20Size=50", 50)]
    [InlineData("postgresql://u@h/db?maxpoolsize=100", 100)]
    public void Parse_PostgresUrl_PoolSizeDefaultsUnlessTheUrlSetsIt(string text, int expected)
    {
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(DatabaseUrl.Parse(text).ConnectionString).MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=pg;Database=quotadb", DatabaseUrl.DefaultMaxPoolSize)]
    [InlineData("Host=pg;Database=quotadb;Maximum Pool Size=100", 100)]
    public void FromConfiguration_AspireConnectionString_PoolSizeDefaultsUnlessItSetsIt(string connectionString, int expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:quotadb"] = connectionString })
            .Build();

        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(DatabaseUrl.FromConfiguration(configuration).ConnectionString).MaxPoolSize);
    }

    [Fact]
    public void FromConfiguration_NothingSet_UsesTheSqliteDefault()
    {
        var url = DatabaseUrl.FromConfiguration(new ConfigurationBuilder().Build());

        Assert.Equal(Path.GetFullPath("./data/ollamaquota.db"), url.SqlitePath);
    }
}
