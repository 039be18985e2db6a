using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Cluster;
using DistGmm.Reporting.Status;

namespace DistGmm.Cli.Commands;

/// <summary>
/// Feeds the live status page from the coordinator's job events: nodes and their shards, iteration, lower bound,
/// recent events. The page polls /api/status; this only keeps the board current.
/// </summary>
internal sealed class StatusBridge(StatusBoard board) : IJobObserver
{
    private const int MaxEvents = 200;

    public void OnEvent(JobEvent e) => board.Update(s => Apply(s, e) with { UpdatedAt = e.Time });

    /// <summary>The snapshot after one event (pure, so it is easy to test).</summary>
    public static StatusSnapshot Apply(StatusSnapshot s, JobEvent e)
    {
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
            ShardsAssigned a => s with
            {
                Nodes = [.. a.ByWorker.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new NodeStatus(kv.Key, "in-process", "up", kv.Value.Count, e.Time))],
                Shards = [.. s.Shards.Select((shard, i) =>
                    a.ByWorker.FirstOrDefault(kv => kv.Value.Contains(i)) is { Key: { } worker } ? shard with { State = "running", Node = worker } : shard)],
            },
            StageChanged st => s with { State = st.Stage },
            IterationCompleted it => s with
            {
                Iteration = it.Iteration,
                LowerBound = it.Iteration == 1 ? [it.LowerBound] : [.. s.LowerBound, it.LowerBound],
                Nodes = [.. s.Nodes.Select(n => n with { LastHeartbeat = e.Time })],
            },
            WorkerFailed f => s with { Nodes = [.. s.Nodes.Select(n => n.Id == f.WorkerId ? n with { State = "failed" } : n)] },
            WorkerRecovered r => s with { Nodes = [.. s.Nodes.Select(n => n.Id == r.WorkerId ? n with { State = "up", LastHeartbeat = e.Time } : n)] },
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
