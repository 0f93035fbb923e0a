using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Reads <c>.env</c> from the working directory (the file the run command creates) into configuration, ranked
/// below real environment variables so that <c>ADMIN_PASSWORD=… ./start.sh</c> still wins.
/// </summary>
public static class DotEnvFile
{
    public const string FileName = ".env";

    public static void AddDotEnvFile(this IConfigurationManager configuration, string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return;
        }

        var values = Parse(File.ReadAllLines(path));
        var environmentIndex = configuration.Sources
            .Select((source, index) => (source, index))
            .Where(pair => pair.source is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            .Select(pair => pair.index)
            .DefaultIfEmpty(configuration.Sources.Count)
            .First();
        configuration.Sources.Insert(environmentIndex, new MemoryConfigurationSource { InitialData = values });
    }

    /// <summary>KEY=VALUE lines; blank lines and # comments skipped; optional <c>export</c> and surrounding quotes.</summary>
    public static Dictionary<string, string?> Parse(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            // Environment-variable style: a double underscore is a configuration section separator.
            values[line[..equals].Trim().Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return values;
    }
}
