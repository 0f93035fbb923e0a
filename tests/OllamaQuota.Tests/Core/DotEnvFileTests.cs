using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace OllamaQuota.Tests.Core;

public sealed class DotEnvFileTests
{
    [Fact]
    public void Parse_TypicalFile_ReadsValuesSkipsCommentsAndStripsQuotes()
    {
        var values = DotEnvFile.Parse(
        [
            "# comment",
            "",
            "ADMIN_PASSWORD=\"with spaces = and equals\"",
            "export APP_TZ='Europe/Vienna'",
            "ConnectionStrings__quotadb=Host=x",
            "not a pair",
        ]);

        Assert.Equal("with spaces = and equals", values["ADMIN_PASSWORD"]);
        Assert.Equal("Europe/Vienna", values["APP_TZ"]);
        Assert.Equal("Host=x", values["ConnectionStrings:quotadb"]);
        Assert.Equal(3, values.Count);
    }

    [Fact]
    public void AddDotEnvFile_VariableAlsoInEnvironment_EnvironmentWins()
    {
        var directory = Directory.CreateTempSubdirectory("oq-env").FullName;
        File.WriteAllLines(Path.Combine(directory, ".env"), ["OQ_TEST_DOTENV_A=from-file", "OQ_TEST_DOTENV_B=from-file"]);
        Environment.SetEnvironmentVariable("OQ_TEST_DOTENV_A", "from-environment");
        try
        {
            var configuration = new ConfigurationManager();
            configuration.AddEnvironmentVariables();
            configuration.AddDotEnvFile(directory);

            Assert.Equal("from-environment", configuration["OQ_TEST_DOTENV_A"]);
            Assert.Equal("from-file", configuration["OQ_TEST_DOTENV_B"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OQ_TEST_DOTENV_A", null);
            Directory.Delete(directory, recursive: true);
        }
    }
}
