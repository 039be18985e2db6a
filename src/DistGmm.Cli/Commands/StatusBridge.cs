using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Cluster;
using DistGmm.Reporting.Status;

namespace DistGmm.Cli.Commands;

/// <summary>
/// Feeds the live status page from the coordinator's job events: nodes and their shards, iteration, lower bound,
/// recent events. The page polls /api/status; this only keeps the board current. A node's address and state come from
/// the membership events about it (joined with its node address, unreachable, downed, lost, recovered), which are
/// per worker; nodes are kept across the run's jobs, so a worker lost in training stays listed as lost.
/// </summary>
internal sealed class StatusBridge(StatusBoard board) : IJobObserver
{
    private const int MaxEvents = 200;

    public void OnEvent(JobEvent e) => board.Update(s => Apply(s, e) with { UpdatedAt = e.Time });

    /// <summary>The snapshot after one event (pure, so it is easy to test).</summary>
    public static StatusSnapshot Apply(StatusSnapshot s, JobEvent e)
    {
        // One per pass: they would push the membership and stage events out of the page's recent events (events.log,
        // summary.json and the report have them).
        if (e is PassTimed) return s;
        var level = e is WorkerFailed ? "warning" : e is JobFinished { Succeeded: false } ? "error" : "info";
        s = s with { Events = [.. s.Events.TakeLast(MaxEvents - 1), new StatusEvent(e.Time, level, e.Describe())] };
        return e switch
        {
            JobStarted j => s with
            {
                JobName = j.JobId, State = j.Kind,
                // Keep the row counts the board was seeded with (from the manifest) when they describe these shards.
                Shards = [.. Enumerable.Range(0, j.Shards).Select(i =>
                    new ShardStatus($"shard-{i:D5}", "pending", null, s.Shards.Count == j.Shards ? s.Shards[i].Records : 0))],
            },
            WorkerJoinedJob j => s with { Nodes = Upsert(s.Nodes, j.WorkerId, n => n with
            {
                Address = j.Address ?? InProcess, State = "up", LastEvent = e.Time, LastEventKind = j.MidJob ? "joined mid-job" : "joined",
            }) },
            // Shard counts only: an assignment says nothing about a worker's liveness, and lost workers stay listed.
            ShardsAssigned a => s with
            {
                Nodes = [.. a.ByWorker.Keys.Aggregate(s.Nodes, (nodes, id) => Upsert(nodes, id, n => n))
                    .Select(n => n with { ShardsAssigned = a.ByWorker.TryGetValue(n.Id, out var shards) ? shards.Count : 0 })],
                Shards = [.. s.Shards.Select((shard, i) =>
                    a.ByWorker.FirstOrDefault(kv => kv.Value.Contains(i)) is { Key: { } worker } ? shard with { State = "running", Node = worker } : shard)],
            },
            StageChanged st => s with { State = st.Stage },
            IterationCompleted it => s with
            {
                Iteration = it.Iteration,
                LowerBound = it.Iteration == 1 ? [it.LowerBound] : [.. s.LowerBound, it.LowerBound],
            },
            WorkerUnreachable u => s with { Nodes = Mark(s.Nodes, u.WorkerId, "unreachable", "unreachable", e.Time) },
            WorkerDowned d => s with { Nodes = Mark(s.Nodes, d.WorkerId, "downed", "downed", e.Time) },
            WorkerFailed f => s with { Nodes = Mark(s.Nodes, f.WorkerId, "lost", "lost", e.Time) },
            // Reachable again after a suspicion, or restarted (embedded): a member again either way.
            WorkerRecovered r => s with { Nodes = Mark(s.Nodes, r.WorkerId, "up", "recovered", e.Time) },
            ScoringProgress p => s with
            {
                State = "scoring",
                Shards = [.. s.Shards.Select((shard, i) => i < p.ShardsDone ? shard with { State = "done" } : shard)],
            },
            JobFinished j => s with
            {
                State = j.Succeeded ? "done" : "failed",
                Shards = j.Succeeded ? [.. s.Shards.Select(shard => shard with { State = "done" })] : s.Shards,
            },
            _ => s,
        };
    }

    /// <summary>What a worker's address is shown as when it runs in the coordinator's process (embedded runs).</summary>
    public const string InProcess = "in-process";

    /// <summary>The nodes with <paramref name="id"/> changed (added first if new: address unknown until it joins), in id order.</summary>
    private static IReadOnlyList<NodeStatus> Upsert(IReadOnlyList<NodeStatus> nodes, string id, Func<NodeStatus, NodeStatus> change) =>
        nodes.Any(n => n.Id == id)
            ? [.. nodes.Select(n => n.Id == id ? change(n) : n)]
            : [.. nodes.Append(change(new NodeStatus(id, "unknown", "up", 0))).OrderBy(n => n.Id, StringComparer.Ordinal)];

    private static IReadOnlyList<NodeStatus> Mark(IReadOnlyList<NodeStatus> nodes, string id, string state, string kind, DateTimeOffset at) =>
        Upsert(nodes, id, n => n with { State = state, LastEvent = at, LastEventKind = kind });
}

/// <summary>`--status-urls`: serve the live status page while a job runs.</summary>
internal sealed class StatusOption
{
    public readonly Option<string?> Urls = new("--status-urls")
    {
        Description = "Serve the live status page while the job runs, e.g. http://127.0.0.1:8081 (loopback only; port 0 picks a free one).",
    };

    public void AddTo(Command command) => command.Options.Add(Urls);

    /// <summary>Starts the page when asked; returns the observer to add (or null) and the server to dispose.</summary>
    public async Task<(IJobObserver? Observer, StatusServer? Server)> StartAsync(ParseResult parse, Terminal terminal, int maxIter,
        IReadOnlyList<long> shardRows, CancellationToken ct)
    {
        if (parse.GetValue(Urls) is not { } urls) return (null, null);
        var board = new StatusBoard(StatusSnapshot.Empty with
        {
            MaxIterations = maxIter > 0 ? maxIter : null,
            Shards = [.. shardRows.Select((rows, i) => new ShardStatus($"shard-{i:D5}", "pending", null, rows))],
        });
        var server = await StatusServer.StartAsync(board, new StatusServerOptions { Urls = urls }, ct);
        terminal.Line($"status page: {server.BaseAddress}");
        return (new StatusBridge(board), server);
    }
}

/// <summary>Sends each event to several observers (progress lines, the status page, …).</summary>
internal sealed class CompositeObserver(params IJobObserver?[] observers) : IJobObserver
{
    private readonly IJobObserver[] _observers = [.. observers.OfType<IJobObserver>()];

    public void OnEvent(JobEvent e)
    {
        foreach (var o in _observers) o.OnEvent(e);
    }
}
