using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Core.Hosting;

/// <summary>
/// Turns configuration mistakes (a bad variable, an uninitialised database, a port in use) into one readable
/// line and exit code 1, instead of a stack trace.
/// </summary>
public static class StartupErrors
{
    public static async Task<int> RunOrExplainAsync(Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (Exception e) when (Explain(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"error: {message}");
            return 1;
        }
    }

    public static Task<int> RunOrExplainAsync(this WebApplication app) => RunOrExplainAsync(() => app.RunAsync());

    private static string? Explain(Exception e) => e switch
    {
        OptionsValidationException validation => string.Join("; ", validation.Failures),
        DatabaseNotReadyException or ArgumentException or FormatException => e.Message,
        IOException { InnerException: System.Net.Sockets.SocketException } => e.Message,
        AggregateException { InnerExceptions: [var inner] } => Explain(inner),
        _ => null,
    };
}
