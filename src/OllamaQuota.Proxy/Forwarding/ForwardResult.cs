namespace OllamaQuota.Proxy.Forwarding;

public enum ForwardOutcome
{
    /// <summary>The upstream answered and the whole response reached the client.</summary>
    Completed,

    /// <summary>No response from the upstream (unreachable, or no headers within the timeout).</summary>
    UpstreamUnavailable,

    /// <summary>The upstream's response broke off after it started; the client's response was aborted.</summary>
    UpstreamBroke,

    /// <summary>The client went away; the upstream request was cancelled.</summary>
    ClientAborted,
}

/// <param name="Status">The status the client was sent (or would have been, for an abort).</param>
public readonly record struct ForwardResult(ForwardOutcome Outcome, int Status);
