using System.Globalization;
using System.Text;
using System.Text.Json;
using OllamaQuota.Bench.Tokenizer;
using OllamaQuota.Core.Tokens;

// Usage: dotnet run -c Release -- <cl100k_vectors.json> [tiktoken-results.json] [seconds-per-case]
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: <cl100k_vectors.json> [tiktoken-results.json] [seconds-per-case]");
    return 2;
}

var seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var node = args.Length > 1 && File.Exists(args[1]) ? JsonDocument.Parse(File.ReadAllText(args[1])) : null;
var tokenizer = Cl100kTokenizer.Instance;

Console.WriteLine($"# cl100k_base: OllamaQuota C# vs npm tiktoken {node?.RootElement.GetProperty("tiktoken").GetString() ?? "(not run)"}");
Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, node {node?.RootElement.GetProperty("node").GetString() ?? "-"}; fastest run after warm-up; MiB = UTF-8 input");
Console.WriteLine();
Console.WriteLine("| input | tokens | C# CountTokens tok/s | C# MiB/s | C# Encode MiB/s | tiktoken tok/s | tiktoken MiB/s | C# Count / tiktoken | C# Count time | tiktoken time | Count alloc/run |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");

var mismatch = false;
foreach (var (name, text) in Corpora.Build(args[0]))
{
    var mib = Encoding.UTF8.GetByteCount(text) / (double)(1 << 20);
    var count = Measure.Run(() => tokenizer.CountTokens(text), seconds);
    var encode = Measure.Run(() => tokenizer.Encode(text).Length, seconds);

    string nodeTokS = "-", nodeMiBs = "-", ratio = "-", nodeTime = "-";
    if (node is not null && node.RootElement.GetProperty("results").TryGetProperty(name, out var r))
    {
        if (r.GetProperty("seconds").ValueKind == JsonValueKind.Number)
        {
            var nodeSeconds = r.GetProperty("seconds").GetDouble();
            var nodeTokens = r.GetProperty("tokens").GetInt32();
            mismatch |= nodeTokens != count.Tokens;
            nodeTokS = Rate(nodeTokens / nodeSeconds);
            nodeMiBs = (mib / nodeSeconds).ToString("F2", CultureInfo.InvariantCulture);
            ratio = (nodeSeconds / count.Seconds).ToString("F1", CultureInfo.InvariantCulture) + "x";
            nodeTime = Time(nodeSeconds);
        }
        else
        {
            nodeTime = r.GetProperty("error").GetString()!;
            ratio = nodeTime.StartsWith("no result", StringComparison.Ordinal)
                ? $"> {(r.GetProperty("elapsed").GetDouble() / count.Seconds).ToString("F0", CultureInfo.InvariantCulture)}x"
                : "n/a";
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {count.Tokens} | {Rate(count.Tokens / count.Seconds)} | {mib / count.Seconds:F2} | {mib / encode.Seconds:F2} | {nodeTokS} | {nodeMiBs} | {ratio} | {Time(count.Seconds)} | {nodeTime} | {count.AllocatedBytesPerRun} B |"));
}

if (mismatch)
{
    Console.Error.WriteLine("Token counts differ between C# and tiktoken.");
    return 1;
}

return 0;

static string Rate(double perSecond) => perSecond >= 1e6
    ? (perSecond / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M"
    : (perSecond / 1e3).ToString("F0", CultureInfo.InvariantCulture) + " k";

static string Time(double seconds) => seconds >= 1
    ? seconds.ToString("F2", CultureInfo.InvariantCulture) + " s"
    : (seconds * 1000).ToString("F1", CultureInfo.InvariantCulture) + " ms";
