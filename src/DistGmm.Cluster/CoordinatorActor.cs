using System.Diagnostics;
using DistGmm.Actors;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>The job's final state, sent to the client ref when the job completes or fails.</summary>
public sealed record JobCompleted(CoordinatorState State);

/// <summary>Sent to the client when the job fails (data error, modelling error, all workers lost).</summary>
public sealed record JobAborted(string JobId, string Error);

/// <summary>
/// Hosts the pure <see cref="CoordinatorState"/>: turns worker messages into events, applies them (journaling the
/// journaled ones), and sends the commands the new state calls for. Workers may be local or remote; the coordinator
/// only sees <see cref="IActorRef"/>s, watches them, and treats <see cref="Terminated"/> as a lost worker whose shards
/// move to the survivors. A restarted worker (a second <see cref="WorkerReady"/>) gets its shards reloaded and its
/// missing results recomputed. Duplicate and stale results are ignored, so retries are always safe.
/// </summary>
public sealed class CoordinatorActor : ActorBase
{
    private readonly IShardPlacement _placement;
    private readonly IActorRef _client;
    private readonly ICoordinatorJournal _journal;
    private readonly IJobObserver _observer;
    private readonly Dictionary<string, IActorRef> _workers = [];
    private readonly Stopwatch _iterationClock = new();
    private CoordinatorState _state;
    private int _lastReportedIteration;
    private int _lastPublishedIteration;   // survives the reset when EmTraining leaves EM for its final scoring pass

    public CoordinatorActor(JobPlan plan, IShardPlacement placement, IActorRef client, ICoordinatorJournal journal, IJobObserver observer)
    {
        _state = CoordinatorState.Initial(plan);
        _placement = placement;
        _client = client;
        _journal = journal;
        _observer = observer;
    }

    public static Props Props(JobPlan plan, IShardPlacement placement, IActorRef client, ICoordinatorJournal? journal = null, IJobObserver? observer = null) =>
        Actors.Props.Create(() => new CoordinatorActor(plan, placement, client, journal ?? new InMemoryCoordinatorJournal(), observer ?? NullJobObserver.Instance));

    /// <summary>Results and replies ignored as duplicates or stale (diagnostics, and what tests assert on).</summary>
    public sealed record GetStatus;

    public sealed record Status(JobStage Stage, int Workers, int IgnoredMessages, int? PassNumber, int Iteration);

    private int _ignored;
    private DateTimeOffset Now => Context.System.Clock.GetUtcNow();
    private string JobId => _state.Plan.JobId;

    protected override void PreStart()
    {
        Publish(new JobStarted(Now, JobId, _state.Plan.IsTraining ? "train" : "score", _state.ShardCount, _state.Plan.ExpectedWorkers));
    }

    protected override void OnReceive(object message)
    {
        // A restart would lose the job's state and leave the client waiting forever: any error here ends the job
        // with a clear message instead.
        try
        {
            Handle(message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail($"coordinator error on {message.GetType().Name}: {ex.Message}");
        }
    }

    private void Handle(object message)
    {
        switch (message)
        {
            case WorkerReady ready: OnWorkerReady(ready); break;
            case ShardLoaded loaded when loaded.JobId == JobId: OnShardLoaded(loaded); break;
            case ShardLoadFailed failed when failed.JobId == JobId:
                Fail($"worker {failed.WorkerId} could not load shard {failed.Shard}: {failed.Error}");
                break;
            case ShardStatsComputed stats when stats.JobId == JobId: OnShardStats(stats); break;
            case ShardScored scored when scored.JobId == JobId: OnShardScored(scored); break;
            case AnomaliesCollected collected when collected.JobId == JobId: OnAnomalies(collected); break;
            case WorkFailed failed when failed.JobId == JobId: Fail($"worker {failed.WorkerId}: {failed.Error}"); break;
            case Terminated terminated: OnWorkerTerminated(terminated.ActorRef); break;
            case GetStatus:
                Sender.Tell(new Status(_state.Stage, _state.Workers.Count, _ignored, _state.CurrentPass?.PassNumber, _state.Training?.Iteration ?? 0), Self);
                break;
            case ShardLoaded or ShardLoadFailed or ShardStatsComputed or ShardScored or AnomaliesCollected or WorkFailed:
                _ignored++; // another job's message
                break;
            default: Unhandled(message); break;
        }
    }

    private void OnWorkerReady(WorkerReady ready)
    {
        var known = _workers.TryGetValue(ready.WorkerId, out var previous);
        if (_state.IsFinished) return;
        if (known)
        {
            // A restart: the worker lost its shards. Reload them and redo its missing work.
            if (!Equals(previous, Sender)) { Context.Unwatch(previous!); Context.Watch(Sender); }
            _workers[ready.WorkerId] = Sender;
            Publish(new WorkerRecovered(Now, ready.WorkerId));
            SendCommands(ready.WorkerId, includeLoad: true);
            return;
        }
        if (_state.Stage != JobStage.Registering) { _ignored++; return; } // late joiner: not used by this job
        _workers[ready.WorkerId] = Sender;
        Context.Watch(Sender);
        Apply(new WorkerJoined(ready.WorkerId));
        if (_state.Workers.Count < _state.Plan.ExpectedWorkers) return;

        var owners = _placement.Place(_state.Plan.ShardRowsHint, _state.Workers);
        Apply(new ShardsPlaced(owners));
        Publish(new ShardsAssigned(Now, Assignment(), "initial placement"));
        Publish(new StageChanged(Now, "loading"));
        foreach (var worker in _state.Workers) SendCommands(worker, includeLoad: true);
    }

    private void OnShardLoaded(ShardLoaded loaded)
    {
        if (!_state.AcceptsLoad(loaded.Shard)) { _ignored++; return; }
        var before = _state.Stage;
        Apply(new ShardLoadConfirmed(loaded.Shard, loaded.Rows, loaded.Cols));
        if (_state.Stage == before) return;
        Publish(new ShardsLoaded(Now, _state.TotalRows, _state.Loaded.Values.First().Cols));
        OnStageEntered();
    }

    private void OnShardStats(ShardStatsComputed stats)
    {
        if (!_state.AcceptsPassResult(stats.PassNumber, stats.Shard)) { _ignored++; return; }
        PassResult result;
        try { result = PassResult.FromBytes(stats.ResultBytes); }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            Fail($"shard {stats.Shard} pass {stats.PassNumber}: malformed result ({ex.Message})");
            return;
        }
        Apply(new ShardResultAccepted(stats.PassNumber, stats.Shard, result));
        if (_state.PendingResults.Count < _state.ShardCount) return;

        var merged = _state.MergePending();
        var candidate = _state.CandidateIndex;
        var fitsBefore = _state.Fits.Count;
        Apply(new PassCompleted(stats.PassNumber, merged.ToBytes()));
        ReportIteration(candidate, fitsBefore);
        if (!_state.IsFinished) BroadcastWork();
        else Finish();
    }

    private void ReportIteration(int candidate, int fitsBefore)
    {
        var k = _state.Plan.Candidates[candidate].K;
        if (_state.Fits.Count > fitsBefore)
        {
            var fit = _state.Fits[^1];
            // The last iteration's lower bound arrives together with the finished fit: report it as an iteration too.
            if (fit.LowerBoundHistory.Count == _lastPublishedIteration + 1)
            {
                var last = fit.LowerBoundHistory[^1];
                double? lastDelta = fit.LowerBoundHistory.Count > 1 ? last - fit.LowerBoundHistory[^2] : null;
                Publish(new IterationCompleted(Now, fit.Model.K, fit.LowerBoundHistory.Count, last, lastDelta, _iterationClock.Elapsed));
                _iterationClock.Restart();
            }
            _previousLowerBound = null;
            _lastPublishedIteration = 0;
            Publish(new CandidateFitted(Now, fit.Model.K, fit.Iterations, fit.Converged, fit.LowerBound, fit.Bic));
            _lastReportedIteration = 0;
            return;
        }
        var training = _state.Training!;
        if (training.Iteration < _lastReportedIteration) { _lastReportedIteration = 0; _previousLowerBound = null; } // next nInit run
        if (training.Iteration > _lastReportedIteration && training.LastLowerBound is { } lowerBound)
        {
            _lastReportedIteration = training.Iteration;
            // Delta from the per-iteration lower bound history the training keeps is not exposed; track ours.
            double? delta = _previousLowerBound is { } prev ? lowerBound - prev : null;
            _previousLowerBound = lowerBound;
            Publish(new IterationCompleted(Now, k, training.Iteration, lowerBound, delta, _iterationClock.Elapsed));
            _lastPublishedIteration = training.Iteration;
            _iterationClock.Restart();
        }
    }

    private double? _previousLowerBound;

    private void OnShardScored(ShardScored scored)
    {
        if (!_state.AcceptsScores(scored.Shard)) { _ignored++; return; }
        Apply(new ShardScoresAccepted(scored));
        Publish(new ScoringProgress(Now, _state.Scored.Count, _state.ShardCount));
        if (_state.Scored.Count < _state.ShardCount) return;

        var rule = _state.Plan.Threshold ?? ThresholdRule.Default;
        var moments = _state.MergedMoments();
        var threshold = rule.Choose(moments, () => _state.Scored.Values.Select(s => s.Scores));
        Apply(new ThresholdChosen(threshold));
        Publish(new ThresholdSet(Now, rule.ToString(), threshold, moments.Mean, moments.StdDev));
        OnStageEntered();
    }

    private void OnAnomalies(AnomaliesCollected collected)
    {
        if (!_state.AcceptsAnomalies(collected.Shard)) { _ignored++; return; }
        Apply(new ShardAnomaliesAccepted(collected));
        if (_state.IsFinished) Finish();
    }

    private void OnWorkerTerminated(IActorRef actor)
    {
        var workerId = _workers.FirstOrDefault(kv => Equals(kv.Value, actor)).Key;
        if (workerId is null || _state.IsFinished) return;
        _workers.Remove(workerId);
        Publish(new WorkerFailed(Now, workerId, "stopped (terminated)"));
        var before = _state.Owners;
        Apply(new WorkerLost(workerId, "terminated"));
        if (_state.IsFinished) { Finish(); return; }
        if (before.IsDefaultOrEmpty) return;
        Publish(new ShardsAssigned(Now, Assignment(), $"{workerId} lost"));
        var heirs = Enumerable.Range(0, _state.ShardCount).Where(s => before[s] == workerId).Select(s => _state.Owners[s]).Distinct();
        foreach (var heir in heirs) SendCommands(heir, includeLoad: true);
    }

    private void OnStageEntered()
    {
        if (_state.IsFinished) { Finish(); return; }
        Publish(new StageChanged(Now, _state.Stage.ToString().ToLowerInvariant()));
        _iterationClock.Restart();
        BroadcastWork();
    }

    private void BroadcastWork()
    {
        foreach (var worker in _state.Workers) SendCommands(worker, includeLoad: false);
    }

    private void SendCommands(string workerId, bool includeLoad)
    {
        if (!_workers.TryGetValue(workerId, out var worker)) return;
        foreach (var command in _state.CommandsFor(workerId, includeLoad)) worker.Tell(command, Self);
    }

    private void Apply(CoordinatorEvent e)
    {
        if (e is IJournaledEvent) _journal.Append(JobId, e);
        _state = _state.Apply(e);
    }

    private void Fail(string error)
    {
        if (_state.IsFinished) return;
        Apply(new JobFailed(error));
        Finish();
    }

    private void Finish()
    {
        var succeeded = _state.Stage == JobStage.Completed;
        Publish(new JobFinished(Now, JobId, succeeded, _state.Error));
        foreach (var worker in _workers.Values) worker.Tell(new ReleaseJob(JobId), Self);
        _client.Tell(succeeded ? new JobCompleted(_state) : new JobAborted(JobId, _state.Error ?? "failed"), Self);
    }

    private IReadOnlyDictionary<string, IReadOnlyList<int>> Assignment() =>
        _state.Workers.ToDictionary(w => w, w => _state.ShardsOf(w));

    private void Publish(JobEvent e)
    {
        try { _observer.OnEvent(e); }
        catch (Exception ex) { Context.System.EventStream.Publish(new ActorError(Self.Path, ex, "job observer threw")); }
    }
}
