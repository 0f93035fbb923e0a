using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace OllamaQuota.Admin.Authentication;

/// <summary>
/// Counts failed logins per client address in fixed windows; an address over the limit is refused (429) until its
/// window ends, even with the right password, so guessing does not pay.
/// </summary>
public sealed class FailedLoginThrottle(IOptions<AdminOptions> options, TimeProvider time)
{
    private const int PruneThreshold = 10_000;

    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();

    /// <summary>Seconds until <paramref name="address"/> may try again, or null when it may try now.</summary>
    public long? RetryAfterSeconds(IPAddress address)
    {
        if (!_windows.TryGetValue(address, out var window))
        {
            return null;
        }

        var now = time.GetUtcNow();
        var ends = window.Start + options.Value.FailedLoginWindow;
        return window.Failures >= options.Value.MaxFailedLogins && now < ends
            ? Math.Max(1, (long)Math.Ceiling((ends - now).TotalSeconds))
            : null;
    }

    public void RecordFailure(IPAddress address)
    {
        var now = time.GetUtcNow();
        var length = options.Value.FailedLoginWindow;
        _windows.AddOrUpdate(
            address,
            _ => new Window(now, 1),
            (_, window) => now >= window.Start + length ? new Window(now, 1) : window with { Failures = window.Failures + 1 });

        if (_windows.Count > PruneThreshold)
        {
            foreach (var (key, window) in _windows)
            {
                if (now >= window.Start + length)
                {
                    _windows.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed record Window(DateTimeOffset Start, int Failures);
}
