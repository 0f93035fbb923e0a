using System.Diagnostics;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>Runs one of our built programs (dotnet X.dll) as a user would, in a working folder of the test's own.</summary>
public static class ServiceProcess
{
    private static readonly string[] OurVariables =
    [
        "ADMIN_PASSWORD", "ADMIN_HOST", "ADMIN_PORT", "PROXY_HOST", "PROXY_PORT", "DATABASE_URL", "REDIS_URL",
        "OLLAMA_URL", "DEFAULT_MODEL", "APP_TZ", "ALLOWED_ORIGINS", "ASPNETCORE_URLS", "ConnectionStrings__quotadb",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ];

    public sealed record Result(int ExitCode, string Output, string Error);

    public static string AssemblyPath(string name) => Path.Combine(AppContext.BaseDirectory, $"{name}.dll");

    /// <summary>Runs to completion (killed after <paramref name="timeout"/>).</summary>
    public static async Task<Result> RunAsync(
        string assembly, string workingDirectory, IDictionary<string, string?> environment, TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(assembly, workingDirectory, environment, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{assembly} {string.Join(' ', arguments)} did not exit within {timeout}: {await output}{await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    public static Process Start(string assembly, string workingDirectory, IDictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(AssemblyPath(assembly));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in OurVariables)
        {
            start.Environment.Remove(variable);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Stops it as a service manager would (SIGTERM) and waits for it to exit.</summary>
    public static async Task StopAsync(Process process, TimeSpan timeout)
    {
        using (var signal = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync();
        }

        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
    }

    public static string NewWorkingDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "oq-tests", $"cwd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
