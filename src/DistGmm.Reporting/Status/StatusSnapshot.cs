namespace DistGmm.Reporting.Status;

/// <summary>
/// What the live status page shows at one moment. The coordinator builds a fresh immutable snapshot whenever
/// something changes and hands it to a <see cref="StatusBoard"/> (or the server asks a Func for one).
/// </summary>
public sealed record StatusSnapshot
{
    public string JobName { get; init; } = "distgmm";

    /// <summary>Free text such as "starting", "ingesting", "training", "scoring", "done", "failed".</summary>
    public string State { get; init; } = "starting";

    public int Iteration { get; init; }

    public int? MaxIterations { get; init; }

    /// <summary>Lower bound after each completed iteration (index 0 = iteration 1).</summary>
    public IReadOnlyList<double> LowerBound { get; init; } = [];

    public IReadOnlyList<NodeStatus> Nodes { get; init; } = [];

    public IReadOnlyList<ShardStatus> Shards { get; init; } = [];

    /// <summary>Most recent events, newest last; the page shows the last 50.</summary>
    public IReadOnlyList<StatusEvent> Events { get; init; } = [];

    /// <summary>When the snapshot was taken (set by the producer; the page shows it).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    public static StatusSnapshot Empty { get; } = new() { State = "waiting for the job" };
}

/// <param name="Address">The worker's node (akka.tcp://system@host:port), or "in-process" for a worker in the coordinator's process.</param>
/// <param name="State">e.g. "up", "busy", "unreachable", "downed", "lost".</param>
/// <param name="LastEvent">When the last membership event about this worker arrived (joined, unreachable, reachable again,
/// restarted, downed, lost): Akka cluster events, not heartbeats; null before any.</param>
/// <param name="LastEventKind">What that event was, e.g. "joined", "unreachable".</param>
public sealed record NodeStatus(string Id, string Address, string State, int ShardsAssigned, DateTimeOffset? LastEvent = null,
    string? LastEventKind = null);

/// <param name="State">e.g. "pending", "running", "done", "failed", "reassigned".</param>
public sealed record ShardStatus(string Id, string State, string? Node, long Records);

/// <param name="Level">"info", "warning" or "error".</param>
public sealed record StatusEvent(DateTimeOffset At, string Level, string Message);
