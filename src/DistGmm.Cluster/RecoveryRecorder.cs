using System.Text.Json.Nodes;

namespace DistGmm.Cluster;

/// <summary>
/// Turns a run's membership and fault events into the recovery report of summary.json: each failure with its
/// cluster times (unreachable, downed, removed; detection = unreachable → removed), the shards that moved and where, and how long their recomputation
/// took; joins, waits, journal resumes and injected chaos. Thread-safe (events arrive on actor threads).
/// </summary>
public sealed class RecoveryRecorder(IJobObserver? next = null) : IJobObserver
{
    private sealed class Failure
    {
        public required WorkerFailed Event { get; init; }
        public string Job { get; init; } = "";
        public SortedDictionary<int, string> MovedTo { get; } = [];
        public bool Placed { get; set; }
        public double? RecomputeSeconds { get; set; }
        public DateTimeOffset? UnreachableAt { get; init; }
        public DateTimeOffset? DownedAt { get; init; }
    }

    private readonly Lock _gate = new();
    private readonly List<Failure> _failures = [];
    private readonly List<JobEvent> _other = [];
    private readonly Dictionary<int, string> _owners = [];
    private DateTimeOffset? _start;
    private string _job = "";
    private int _suspicions;
    private readonly Dictionary<string, DateTimeOffset> _unreachableAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _downedAt = new(StringComparer.Ordinal);

    public void OnEvent(JobEvent e)
    {
        lock (_gate) Record(e);
        next?.OnEvent(e);
    }

    private void Record(JobEvent e)
    {
        switch (e)
        {
            case JobStarted started:
                _start ??= started.Time;
                _job = started.Kind;
                _owners.Clear();
                break;
            case WorkerFailed failed:
                _failures.Add(new Failure
                {
                    Event = failed, Job = _job,
                    UnreachableAt = _unreachableAt.Remove(failed.WorkerId, out var u) ? u : null,
                    DownedAt = _downedAt.Remove(failed.WorkerId, out var d) ? d : null,
                });
                break;
            case ShardsAssigned assigned:
                var previous = new Dictionary<int, string>(_owners);
                _owners.Clear();
                foreach (var (worker, shards) in assigned.ByWorker)
                    foreach (var shard in shards) _owners[shard] = worker;
                foreach (var failure in _failures.Where(f => !f.Placed && f.Job == _job))
                {
                    failure.Placed = true;
                    foreach (var (shard, owner) in previous)
                        if (owner == failure.Event.WorkerId && _owners.TryGetValue(shard, out var heir) && heir != owner) failure.MovedTo[shard] = heir;
                }
                if (previous.Count > 0 && !assigned.Reason.EndsWith(" lost", StringComparison.Ordinal)) _other.Add(e);
                break;
            case ShardsRecovered recovered:
                foreach (var failure in _failures.Where(f => f.RecomputeSeconds is null && f.MovedTo.Count > 0
                             && f.MovedTo.Keys.All(recovered.Shards.Contains)))
                    failure.RecomputeSeconds = recovered.Recompute.TotalSeconds;
                break;
            case WorkerUnreachable unreachable:
                _suspicions++;
                _unreachableAt.TryAdd(unreachable.WorkerId, unreachable.Time);
                break;
            case WorkerDowned downed:
                _downedAt.TryAdd(downed.WorkerId, downed.Time);
                break;
            case WorkerRecovered recovered:
                _unreachableAt.Remove(recovered.WorkerId);
                _other.Add(e);
                break;
            case WorkerJoinedJob { MidJob: true } or WaitingForWorkers or JobResumed or ChaosInjected or CoordinatorRestarting:
                _other.Add(e);
                break;
        }
    }

    /// <summary>True when anything worth reporting happened (a fault-free run has an empty report).</summary>
    public bool HasEvents
    {
        get { lock (_gate) return _failures.Count > 0 || _other.Count > 0 || _suspicions > 0; }
    }

    /// <summary>The report as JSON (the <c>recovery</c> object of summary.json).</summary>
    public JsonObject Report()
    {
        lock (_gate)
        {
            double At(JobEvent e) => Math.Round((e.Time - (_start ?? e.Time)).TotalSeconds, 3);
            var failures = new JsonArray();
            foreach (var f in _failures)
            {
                var moved = new JsonObject();
                foreach (var (shard, heir) in f.MovedTo) moved[shard.ToString(System.Globalization.CultureInfo.InvariantCulture)] = heir;
                failures.Add(new JsonObject
                {
                    ["worker"] = f.Event.WorkerId,
                    ["stage"] = f.Job,
                    ["reason"] = f.Event.Reason,
                    ["atSeconds"] = At(f.Event),
                    // Akka's cluster events, seconds from the job's start: marked unreachable, downed by the split-brain
                    // resolver, removed (= atSeconds, when the shards moved); detection = unreachable → removed.
                    ["unreachableAtSeconds"] = f.UnreachableAt is { } ua ? Math.Round((ua - (_start ?? ua)).TotalSeconds, 3) : null,
                    ["downedAtSeconds"] = f.DownedAt is { } da ? Math.Round((da - (_start ?? da)).TotalSeconds, 3) : null,
                    ["removedAtSeconds"] = At(f.Event),
                    ["detectionSeconds"] = f.Event.SilentFor is { } s ? Math.Round(s.TotalSeconds, 3) : null,
                    ["shardsMoved"] = new JsonArray([.. f.MovedTo.Keys.Select(k => (JsonNode)k)]),
                    ["movedTo"] = moved,
                    ["recomputeSeconds"] = f.RecomputeSeconds is { } r ? Math.Round(r, 3) : null,
                });
            }
            var events = new JsonArray();
            foreach (var e in _other)
                events.Add(new JsonObject { ["atSeconds"] = At(e), ["kind"] = e.GetType().Name, ["description"] = e.Describe() });
            return new JsonObject
            {
                ["workersLost"] = _failures.Count,
                ["shardsMoved"] = _failures.Sum(f => f.MovedTo.Count),
                ["suspicions"] = _suspicions,
                ["failures"] = failures,
                ["events"] = events,
            };
        }
    }

    /// <summary>Adds the report to a written summary.json as its <c>recovery</c> object.</summary>
    public void WriteInto(string summaryPath)
    {
        RunSummary.SetSection(summaryPath, "recovery", Report());
    }
}
