using System.Diagnostics;
using System.Globalization;

namespace OllamaQuota.Core.Redis;

/// <summary>Tracing for the Redis client: add <see cref="ActivitySourceName"/> to the tracer provider to see one span per command.</summary>
public static class RedisTelemetry
{
    public const string ActivitySourceName = "OllamaQuota.Redis";

    internal static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>Starts a client span, or returns null at the cost of one check when nobody listens.</summary>
    internal static Activity? StartCommand(string command, RedisConnectionOptions options)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // The caller's Activity.Current must not change: the command continues on the reader loop, not in the caller's flow.
        var previous = Activity.Current;
        var activity = Source.StartActivity(command, ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        Activity.Current = previous;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation", command);
            activity.SetTag("db.operation.name", command);
            activity.SetTag("db.namespace", options.Database.ToString(CultureInfo.InvariantCulture));
            activity.SetTag("server.address", options.Host);
            activity.SetTag("server.port", options.Port);
        }

        return activity;
    }
}
