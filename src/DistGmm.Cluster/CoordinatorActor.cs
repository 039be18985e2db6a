using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using DistGmm.Cluster.Serialization;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>The job's final state, sent to the client ref when the job completes or fails.</summary>
public sealed record JobCompleted(CoordinatorState State) : INoSerializationVerificationNeeded;

/// <summary>Sent to the client when the job fails (data error, modelling error, no worker left for too long).</summary>
public sealed record JobAborted(string JobId, string Error) : INoSerializationVerificationNeeded;

/// <summary>How a coordinator treats membership and faults (no effect on results).</summary>
/// <param name="MaxWaitForWorkers">With no worker left, how long to wait for one to join before the job fails (zero: fail at once).</param>
/// <param name="Chaos">Faults to inject (fault-tolerance experiments).</param>
/// <param name="ChaosSeed">Picks the worker of a <c>random</c> chaos target.</param>
/// <param name="JournalPluginId">The Akka.Persistence journal plugin (null: the actor system's default journal).</param>
/// <param name="ShardReplicas">How many other workers' shards each worker also holds, to take over a lagging worker's
/// not-yet-started shards in a pass (0: none; see <see cref="ShardStealing"/>).</param>
public sealed record CoordinatorSettings(TimeSpan MaxWaitForWorkers, ChaosPlan Chaos, int ChaosSeed = 0, string? JournalPluginId = null,
    int ShardReplicas = 0)
{
    /// <summary>Cluster mode: workers may come back, so wait up to 10 minutes.</summary>
    public static CoordinatorSettings Default { get; } = new(TimeSpan.FromMinutes(10), ChaosPlan.None);

    /// <summary>Embedded runs: nobody else can join, so losing every worker fails the job at once.</summary>
    public static CoordinatorSettings Embedded { get; } = new(TimeSpan.Zero, ChaosPlan.None);
}

// ---- from the job's host (embedded: its worker children; cluster: Akka cluster membership events) ----

/// <summary>The worker's node is unreachable (Akka cluster <c>UnreachableMember</c>): logged and reported, nothing moves yet.</summary>
public sealed record WorkerSuspected(string WorkerId) : INoSerializationVerificationNeeded;

/// <summary>The worker's node is reachable again (Akka cluster <c>ReachableMember</c>): it was never downed.</summary>
public sealed record WorkerReachable(string WorkerId) : INoSerializationVerificationNeeded;

/// <summary>The worker's node was downed (Akka cluster <c>MemberDowned</c>); it is removed next.</summary>
public sealed record WorkerNodeDowned(string WorkerId) : INoSerializationVerificationNeeded;

/// <summary>The worker's node was downed or removed from the cluster (or the worker stopped): its shards move.</summary>
public sealed record WorkerDown(string WorkerId, string Reason) : INoSerializationVerificationNeeded;

/// <summary>
/// From the coordinator to its host once recovery has completed: the host answers with a <see cref="WorkerReady"/>
/// per known worker, sent with the worker as sender (a coordinator restarted by its backoff supervisor knows no one).
/// </summary>
public sealed record CoordinatorRecovered(string JobId) : INoSerializationVerificationNeeded;

/// <summary>
/// A worker the plan counted (a member when the job started) was removed from the cluster: until the shards are
/// placed, the job no longer waits for it (it may have gone before the host introduced it to this coordinator).
/// </summary>
public sealed record CountedWorkerRemoved(string WorkerId) : INoSerializationVerificationNeeded;

/// <summary>Chaos (<c>--chaos down:…</c>): the host removes the worker's node from the cluster, as a partition would.</summary>
public sealed record DownWorkerNode(string WorkerId, IActorRef Worker) : INoSerializationVerificationNeeded;

/// <summary>
/// Hosts the pure <see cref="CoordinatorState"/>: turns worker messages into events, applies them (journaling the
/// journaled ones), and sends the commands the new state calls for. Workers may be local or remote; the coordinator
/// only sees <see cref="IActorRef"/>s, watches them, and treats <see cref="Terminated"/> or <see cref="WorkerDown"/>
/// (Akka cluster membership: the node was downed or removed) as a lost worker whose shards move to the survivors. A restarted worker (a second
/// <see cref="WorkerReady"/>) gets its shards reloaded and its missing results recomputed; a worker joining mid-job
/// gets shards at the next iteration boundary (rebalance); with no worker left the job waits for one. Duplicate and
/// stale results are ignored, so retries are always safe. It is an Akka persistent actor (persistence id = job id):
/// journaled events are persisted before their effects are acted on (except that a completed pass's successor is sent
/// while its event is written: see <see cref="ApplyAhead"/>), and on start the journal is replayed through the
/// same <see cref="CoordinatorState.Apply"/>, so a restarted coordinator resumes after its last completed pass. A
/// journal failure stops it; its backoff supervisor starts it again, and it recovers the same way.
/// </summary>
public sealed class CoordinatorActor : PersistentActor, IWithTimers
{
    private readonly IShardPlacement _placement;
    private readonly IActorRef _client;
    private readonly IActorRef _host;
    private readonly IJobObserver _observer;
    private readonly CoordinatorSettings _settings;
    private readonly Dictionary<string, IActorRef> _workers = [];
    private readonly Dictionary<string, TimeSpan> _delays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _suspected = new(StringComparer.Ordinal); // since when
    private readonly List<ChaosAction> _pendingChaos;
    private readonly Stopwatch _iterationClock = new();
    private int _replayedEvents;
    private CoordinatorState _state;
    private int _lastReportedIteration;
    private int _lastPublishedIteration;   // survives the reset when EmTraining leaves EM for its final scoring pass
    private bool _rebalanceDue;
    private (HashSet<int> Pending, List<int> Moved, DateTimeOffset Since)? _recovery;
    // Work stealing (runtime only: who computes a shard never changes its result): the replicas asked of each worker and
    // held by it, and its skip channel (the sender of its ReplicasHeld); its cores are the state's (CoresOf).
    private readonly ShardStealing _stealing = new();
    private readonly ShardSplits _splits = new();
    private readonly HashSet<string> _removedBeforeJoining = new(StringComparer.Ordinal); // see CountedWorkerRemoved
    private readonly Dictionary<string, HashSet<int>> _replicasAsked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<int>> _replicasHeld = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _skipChannels = new(StringComparer.Ordinal);

    public CoordinatorActor(JobPlan plan, IShardPlacement placement, IActorRef client, IActorRef host, IJobObserver observer,
        CoordinatorSettings settings)
    {
        _placement = placement;
        _client = client;
        _host = host;
        _observer = observer;
        _settings = settings;
        _pendingChaos = [.. settings.Chaos.Actions];
        _clockOrigin = Context.System.Scheduler.Now;
        _state = CoordinatorState.Initial(plan);
        if (settings.JournalPluginId is { } journal) JournalPluginId = journal;
    }

    /// <param name="host">Knows the workers: told <see cref="CoordinatorRecovered"/>, it replays their <see cref="WorkerReady"/>.</param>
    public static Props Props(JobPlan plan, IShardPlacement placement, IActorRef client, IActorRef host, IJobObserver? observer = null,
        CoordinatorSettings? settings = null) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(plan, placement, client, host, observer ?? NullJobObserver.Instance,
            settings ?? CoordinatorSettings.Default));

    public override string PersistenceId => _state.Plan.JobId;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Results and replies ignored as duplicates or stale (diagnostics, and what tests assert on).</summary>
    public sealed record GetStatus;

    public sealed record Status(JobStage Stage, int Workers, int IgnoredMessages, int? PassNumber, int Iteration);

    private sealed record NoWorkersTimeout;

    private sealed record Delayed(object Message, IActorRef Sender);

    private int _ignored;

    /// <summary>
    /// The pass in flight's timing (observation only, see <see cref="PassTimed"/>): when its commands went out, each
    /// worker's seconds so far, and the protocol payload that crossed the network (remote workers only) both ways.
    /// </summary>
    private sealed class PassTiming(int passNumber)
    {
        public int PassNumber { get; } = passNumber;
        public long SentAt { get; } = Stopwatch.GetTimestamp();
        public Dictionary<string, double> WorkerSeconds { get; } = [];
        public long BytesSent { get; set; }
        public long BytesReceived { get; set; }
        public int ShardsTaken { get; set; }
        public int ShardsSplit { get; set; }
    }

    private PassTiming? _passTiming;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>
    /// Seconds since this actor started, for workers' paces: the scheduler's clock, so virtual in tests (a heuristic only:
    /// never journaled, never in a result).
    /// </summary>
    private double Clock => (Now - _clockOrigin).TotalSeconds;

    private readonly DateTimeOffset _clockOrigin;

    /// <summary>
    /// A message's way between coordinator and worker, as a piece's start assumes it: 0.5–8 ms measured on loopback with
    /// every core computing (2 vCPUs, 3 processes); a LAN adds less than that contention does.
    /// </summary>
    private const double PieceLatencySeconds = 0.003;
    private string JobId => _state.Plan.JobId;

    // Recovery: the journaled events through the very Apply of live operation (membership is not journaled: the host
    // replays the known workers once recovery has completed).
    protected override bool ReceiveRecover(object message)
    {
        switch (message)
        {
            case CoordinatorEvent e:
                _state = _state.Apply(e);
                _replayedEvents++;
                return true;
            case RecoveryCompleted:
                Publish(new JobStarted(Now, JobId, _state.Plan.IsTraining ? "train" : "score", _state.ShardCount, _state.Plan.ExpectedWorkers));
                if (_replayedEvents > 0)
                    Publish(new JobResumed(Now, JobId, _replayedEvents, CompletedIterations(), _state.Stage.ToString().ToLowerInvariant()));
                if (_state.IsFinished) Finish(); // a completed (or failed) job is not redone
                else _host.Tell(new CoordinatorRecovered(JobId), Self);
                return true;
            default:
                return false;
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The base logs and stops this actor; the backoff supervisor starts a new one, which recovers from the journal.
        Publish(new CoordinatorRestarting(Now, JobId, $"journal write of {@event.GetType().Name} #{sequenceNr} failed: {cause.Message}"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Publish(new CoordinatorRestarting(Now, JobId, $"journal recovery failed: {reason.Message}"));
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>EM iterations completed so far, over every candidate fitted and the one in progress.</summary>
    private int CompletedIterations() => _state.Fits.Sum(f => f.Iterations) + (_state.Stage == JobStage.Training ? _state.Training?.Iteration ?? 0 : 0);

    protected override bool ReceiveCommand(object message)
    {
        // A restart would lose the job's state and leave the client waiting forever: any error here ends the job
        // with a clear message instead.
        try
        {
            if (message is Delayed delayed) Handle(delayed.Message, delayed.Sender);
            else if (IsDelayed(message)) Timers.StartSingleTimer(new object(), new Delayed(message, Sender), _delays[WorkerOf(message)!]);
            else return Handle(message, Sender);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail($"coordinator error on {message.GetType().Name}: {ex.Message}");
        }
        return true;
    }

    private bool IsDelayed(object message) => _delays.Count > 0 && WorkerOf(message) is { } id && _delays.ContainsKey(id);

    private string? WorkerOf(object message) => message switch
    {
        ShardLoaded m => m.WorkerId,
        ShardStatsComputed or ShardScored or AnomaliesCollected => _workers.FirstOrDefault(kv => Equals(kv.Value, Sender)).Key,
        _ => null,
    };

    private bool Handle(object message, IActorRef sender)
    {
        switch (message)
        {
            case WorkerReady ready: OnWorkerReady(ready, sender); break;
            case CountedWorkerRemoved removed: OnCountedWorkerRemoved(removed.WorkerId); break;
            case ShardLoaded loaded when loaded.JobId == JobId: OnShardLoaded(loaded); break;
            case ReplicasHeld held when held.JobId == JobId: OnReplicasHeld(held, sender); break;
            case ShardLoadFailed failed when failed.JobId == JobId:
                Fail($"worker {failed.WorkerId} could not load shard {failed.Shard}: {failed.Error}");
                break;
            case ShardStatsComputed stats when stats.JobId == JobId: OnShardStats(stats); break;
            case ShardScored scored when scored.JobId == JobId: OnShardScored(scored); break;
            case AnomaliesCollected collected when collected.JobId == JobId: OnAnomalies(collected); break;
            case WorkFailed failed when failed.JobId == JobId: Fail($"worker {failed.WorkerId}: {failed.Error}"); break;
            case Terminated terminated:
                if (_workers.FirstOrDefault(kv => Equals(kv.Value, terminated.ActorRef)).Key is { } stopped)
                    LoseWorker(stopped, terminated.AddressTerminated ? "node removed from the cluster" : "stopped (terminated)");
                break;
            case WorkerDown down when _workers.ContainsKey(down.WorkerId): LoseWorker(down.WorkerId, down.Reason); break;
            case WorkerSuspected suspected when _workers.ContainsKey(suspected.WorkerId) && _suspected.TryAdd(suspected.WorkerId, Now):
                Publish(new WorkerUnreachable(Now, suspected.WorkerId));
                TakeOverLaggingWork(); // its shards, the one it may be computing too: the pass need not wait for the detector
                break;
            case WorkerReachable reachable when _suspected.Remove(reachable.WorkerId):
                Publish(new WorkerRecovered(Now, reachable.WorkerId));
                break;
            case WorkerNodeDowned downed when _workers.ContainsKey(downed.WorkerId):
                Publish(new WorkerDowned(Now, downed.WorkerId));
                break;
            case WorkerDown or WorkerSuspected or WorkerReachable or WorkerNodeDowned: break;
            case NoWorkersTimeout when _state.Workers.IsEmpty && !_state.IsFinished:
                Fail($"no worker left: none joined within {_settings.MaxWaitForWorkers.TotalSeconds:0} s (the wait is set by the coordinator's max-wait-for-workers)");
                break;
            case NoWorkersTimeout: break;
            case GetStatus:
                sender.Tell(new Status(_state.Stage, _state.Workers.Count, _ignored, _state.CurrentPass?.PassNumber, _state.Training?.Iteration ?? 0), Self);
                break;
            case ShardLoaded or ShardLoadFailed or ShardStatsComputed or ShardScored or AnomaliesCollected or WorkFailed or ReplicasHeld:
                _ignored++; // another job's message
                break;
            default: return false;
        }
        return true;
    }

    private void OnWorkerReady(WorkerReady ready, IActorRef sender)
    {
        var known = _workers.TryGetValue(ready.WorkerId, out var previous);
        if (_state.IsFinished) return;
        _suspected.Remove(ready.WorkerId);
        if (known)
        {
            // A restart: the worker lost its shards (replicas too). Reload them and redo its missing work.
            if (!Equals(previous, sender)) { Context.Unwatch(previous!); Context.Watch(sender); }
            _workers[ready.WorkerId] = sender;
            Publish(new WorkerRecovered(Now, ready.WorkerId));
            var orphaned = ForgetReplicas(ready.WorkerId);
            SendCommands(ready.WorkerId, includeLoad: true);
            GiveBack(orphaned, ready.WorkerId);
            EnsureReplicas();
            return;
        }
        _workers[ready.WorkerId] = sender;
        Context.Watch(sender);
        Apply(new WorkerJoined(ready.WorkerId, ready.Cores));
        if (!_state.IsPlaced)
        {
            // A new job (or one just resumed from the journal): place once the expected workers are here.
            Publish(new WorkerJoinedJob(Now, ready.WorkerId, MidJob: false, NodeAddress(sender), ready.Cores));
            if (_state.Workers.Count >= WorkersToWaitFor) PlaceInitially();
            return;
        }
        Publish(new WorkerJoinedJob(Now, ready.WorkerId, MidJob: true, NodeAddress(sender), ready.Cores));
        if (_state.OrphanShards is { Count: > 0 } orphans)
        {
            // Everyone had been lost: the newcomer takes the orphaned shards at once.
            Timers.Cancel(typeof(NoWorkersTimeout));
            Apply(new ShardsPlaced(PlacementExtensions.AssignOrphans(_state.Owners, _state.Plan.ShardRowsHint, _state.Workers, _state.CoresOf)));
            Publish(new ShardsAssigned(Now, Assignment(), $"{ready.WorkerId} joined: takes the orphaned shards"));
            StartRecovery(orphans);
            foreach (var worker in _state.Workers) SendCommands(worker, includeLoad: true);
            EnsureReplicas();
            return;
        }
        _rebalanceDue = true; // shards move at the next iteration boundary, never under a running pass
    }

    private void PlaceInitially()
    {
        Apply(new ShardsPlaced(_placement.Place(_state.Plan.ShardRowsHint, _state.Workers, _state.CoresOf)));
        Publish(new ShardsAssigned(Now, Assignment(), "initial placement"));
        if (_state.Stage == JobStage.Loading) Publish(new StageChanged(Now, "loading"));
        foreach (var worker in _state.Workers) SendCommands(worker, includeLoad: true);
        EnsureReplicas();
    }

    /// <summary>The plan's workers less those removed from the cluster before they joined this job (runtime only).</summary>
    private int WorkersToWaitFor =>
        Math.Max(1, _state.Plan.ExpectedWorkers - _removedBeforeJoining.Count(w => !_state.Workers.Contains(w)));

    /// <summary>Waiting for a worker that is gone would leave the job waiting for good: it starts with the others.</summary>
    private void OnCountedWorkerRemoved(string workerId)
    {
        if (_state.IsFinished || _state.IsPlaced || !_removedBeforeJoining.Add(workerId)) return;
        if (_state.Workers.Count >= WorkersToWaitFor) PlaceInitially();
    }

    /// <summary>A remote worker's node address (akka.tcp://system@host:port); null when the worker lives in this process.</summary>
    private static string? NodeAddress(IActorRef worker) => worker.Path.Address is { HasGlobalScope: true } a ? a.ToString() : null;

    private void OnShardLoaded(ShardLoaded loaded)
    {
        if (!_state.AcceptsLoad(loaded.Shard)) { _ignored++; return; }
        var before = _state.Stage;
        Apply(new ShardLoadConfirmed(loaded.Shard, loaded.Rows, loaded.Cols), () =>
        {
            Recovered(loaded.Shard);
            if (_state.Stage == before) return;
            Publish(new ShardsLoaded(Now, _state.TotalRows, _state.Loaded.Values.First().Cols));
            OnStageEntered();
        });
    }

    private void OnShardStats(ShardStatsComputed stats)
    {
        if (!_state.AcceptsPassResult(stats.PassNumber, stats.Shard)) { _ignored++; return; }
        PassResult result;
        try
        {
            if (!stats.IsWhole && (stats.FirstChunk < 0 || stats.ChunkCount < 0 || stats.FirstChunk + stats.ChunkCount > stats.ShardChunks))
                throw new FormatException($"chunks [{stats.FirstChunk}, +{stats.ChunkCount}) of {stats.ShardChunks}");
            result = PassResult.FromBytes(stats.ResultBytes);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            Fail($"shard {stats.Shard} pass {stats.PassNumber}: malformed result ({ex.Message})");
            return;
        }
        TimeResult(stats, Sender);
        if (!stats.IsWhole)
        {
            // A part of a shared shard: a chunk of the piece tells the owner to stop there; the shard's result is in once
            // its front and every chunk after it are.
            if (stats.FirstChunk > 0 && _splits.OwnerOf(stats.PassNumber, stats.Shard) is { } owner)
                _skipChannels.GetValueOrDefault(owner)?.Tell(new SkipChunks(JobId, stats.PassNumber, stats.Shard, stats.FirstChunk), Self);
            if (_splits.Add(stats.PassNumber, stats.Shard, stats.FirstChunk, stats.ChunkCount, stats.ShardChunks, result) is not { } whole) return;
            result = whole;
        }
        if (stats.IsWhole && WorkerOf(stats) is { } from)
            _splits.Done(stats.PassNumber, from, _state.Stage == JobStage.Counting ? _state.Loaded[stats.Shard].Rows : _state.TrainingRowsOf(stats.Shard), Clock);
        // A piece still computing stops: the shard is complete.
        if (_splits.Completed(stats.PassNumber, stats.Shard) is { } taker)
            _skipChannels.GetValueOrDefault(taker)?.Tell(new SkipShards(JobId, stats.PassNumber, [stats.Shard]), Self);
        Apply(new ShardResultAccepted(stats.PassNumber, stats.Shard, result));
        Recovered(stats.Shard);
        if (_state.PendingResults.Count < _state.ShardCount)
        {
            TakeOverLaggingWork();
            return;
        }
        PublishPassTiming();

        var merged = _state.MergePending();
        if (_state.Stage == JobStage.Counting)
        {
            Apply(new RecordsCounted(merged.ToBytes()), () =>
            {
                if (_state.RecordCounts is { } counts) Publish(new DistinctRecordsCounted(Now, counts.Rows, counts.Distinct, _state.RecordCountsBytes!.Length));
                if (_state.IsFinished) { Finish(); return; }
                Publish(new StageChanged(Now, _state.Stage.ToString().ToLowerInvariant()));
                _iterationClock.Restart();
                // Every worker learns the counts once, with its first work of the next stage (and for the replicas it holds).
                foreach (var worker in _state.Workers)
                {
                    SendCommands(worker, includeLoad: false, includeCounts: true);
                    SendReplicaCounts(worker, _replicasHeld.GetValueOrDefault(worker) ?? []);
                }
            });
            return;
        }
        var candidate = _state.CandidateIndex;
        var fitsBefore = _state.Fits.Count;
        ApplyAhead(new PassCompleted(stats.PassNumber, merged.ToBytes()), ahead: () =>
        {
            if (_state.IsFinished) return;
            var gained = RebalanceIfDue();
            RunChaos();
            foreach (var worker in _state.Workers) SendCommands(worker, includeLoad: gained.Contains(worker));
            EnsureReplicas(); // after a rebalance, or a coordinator resumed from its journal: asks only what is missing
        }, durable: () =>
        {
            ReportIteration(candidate, fitsBefore);
            if (_state.IsFinished) Finish();
        });
    }

    private void TimeResult(ShardStatsComputed stats, IActorRef sender)
    {
        if (_passTiming is not { } timing || timing.PassNumber != stats.PassNumber || WorkerOf(stats) is not { } worker) return;
        timing.WorkerSeconds[worker] = Math.Max(timing.WorkerSeconds.GetValueOrDefault(worker), stats.WorkerSeconds);
        if (sender.Path.Address.HasGlobalScope) timing.BytesReceived += stats.ResultBytes.Length;
    }

    private void PublishPassTiming()
    {
        if (_passTiming is not { WorkerSeconds.Count: > 0 } timing) return;
        _passTiming = null;
        Publish(new PassTimed(Now, timing.PassNumber, Stopwatch.GetElapsedTime(timing.SentAt),
            TimeSpan.FromSeconds(timing.WorkerSeconds.Values.Max()), TimeSpan.FromSeconds(timing.WorkerSeconds.Values.Min()), timing.WorkerSeconds.Count,
            timing.BytesSent, timing.BytesReceived, timing.ShardsTaken, timing.ShardsSplit));
    }

    /// <summary>At an iteration boundary: spread shards onto workers that joined mid-job. Returns the workers that gained shards.</summary>
    private HashSet<string> RebalanceIfDue()
    {
        if (!_rebalanceDue || _state.Workers.Count < 2) return [];
        _rebalanceDue = false;
        var before = _state.Owners;
        var owners = PlacementExtensions.Rebalance(before, _state.Plan.ShardRowsHint, _state.Workers, _state.CoresOf);
        var moved = Enumerable.Range(0, _state.ShardCount).Where(s => owners[s] != before[s]).ToList();
        if (moved.Count == 0) return [];
        Apply(new ShardsPlaced(owners));
        Publish(new ShardsAssigned(Now, Assignment(), "rebalance after a worker joined"));
        return [.. moved.Select(s => owners[s])];
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

    /// <summary>Injects the chaos actions due after the iteration just completed (each at most once).</summary>
    private void RunChaos()
    {
        if (_pendingChaos.Count == 0 || _state.Stage != JobStage.Training) return;
        var iteration = CompletedIterations();
        foreach (var action in _pendingChaos.ToList())
        {
            if (action is KillWorker { AtIteration: var at } && at <= iteration || action is DownWorker { AtIteration: var at2 } && at2 <= iteration)
            {
                _pendingChaos.Remove(action);
                var target = ChaosPlan.Resolve(action.Target, _state.Workers, _settings.ChaosSeed);
                if (target is null || !_workers.TryGetValue(target, out var worker))
                {
                    Publish(new ChaosInjected(Now, "skipped (no such worker)", action.ToString()));
                    continue;
                }
                if (action is KillWorker)
                {
                    Publish(new ChaosInjected(Now, $"kill after iteration {iteration}", target));
                    worker.Tell(new ChaosKill($"--chaos {action}"), Self);
                }
                else
                {
                    Publish(new ChaosInjected(Now, $"down the node after iteration {iteration}", target));
                    _host.Tell(new DownWorkerNode(target, worker), Self);
                }
            }
        }
    }

    private void OnShardScored(ShardScored scored)
    {
        if (!_state.AcceptsScores(scored.Shard)) { _ignored++; return; }
        Apply(new ShardScoresAccepted(scored));
        Recovered(scored.Shard);
        Publish(new ScoringProgress(Now, _state.Scored.Count, _state.ShardCount));
        if (_state.Scored.Count < _state.ShardCount) return;

        var rule = _state.Plan.Threshold ?? ThresholdRule.Default;
        var moments = _state.MergedMoments();
        var threshold = rule.Choose(moments, () => _state.Scored.Values.Select(s => s.Scores));
        Apply(new ThresholdChosen(threshold), () =>
        {
            Publish(new ThresholdSet(Now, rule.ToString(), threshold, moments.Mean, moments.StdDev));
            OnStageEntered();
        });
    }

    private void OnAnomalies(AnomaliesCollected collected)
    {
        if (!_state.AcceptsAnomalies(collected.Shard)) { _ignored++; return; }
        Apply(new ShardAnomaliesAccepted(collected));
        Recovered(collected.Shard);
        if (_state.IsFinished) Finish();
    }

    private void LoseWorker(string workerId, string reason)
    {
        if (_state.IsFinished || !_workers.Remove(workerId, out var actor)) return;
        Context.Unwatch(actor);
        Publish(new WorkerFailed(Now, workerId, reason, _suspected.Remove(workerId, out var since) ? Now - since : null));
        var before = _state.Owners;
        var orphaned = ForgetReplicas(workerId);
        Apply(new WorkerLost(workerId, reason));
        if (_state.IsFinished) { Finish(); return; }
        if (!_state.IsPlaced) return;
        if (_state.Workers.IsEmpty && _settings.MaxWaitForWorkers <= TimeSpan.Zero)
        {
            Fail($"All workers lost (last: {workerId}: {reason})"); // nobody can join (an embedded run): fail now
            return;
        }
        if (_state.Workers.IsEmpty)
        {
            Timers.StartSingleTimer(typeof(NoWorkersTimeout), new NoWorkersTimeout(), _settings.MaxWaitForWorkers);
            Publish(new WaitingForWorkers(Now, $"every worker is lost (last: {workerId}, {reason})", _settings.MaxWaitForWorkers));
            return;
        }
        var moved = Enumerable.Range(0, _state.ShardCount).Where(s => before[s] == workerId).ToList();
        // Shards it had taken over from others go back to their owners; an heir is sent all its missing work below.
        var heirs = moved.Select(s => _state.Owners[s]).ToHashSet(StringComparer.Ordinal);
        GiveBack([.. orphaned.Where(s => before[s] != workerId && !heirs.Contains(_state.Owners[s]))], workerId);
        if (moved.Count == 0) return;
        Publish(new ShardsAssigned(Now, Assignment(), $"{workerId} lost"));
        StartRecovery(moved);
        foreach (var heir in moved.Select(s => _state.Owners[s]).Distinct()) SendCommands(heir, includeLoad: true);
        EnsureReplicas();
    }

    /// <summary>
    /// Asks each worker to hold the shards of the next <see cref="CoordinatorSettings.ShardReplicas"/> workers (ring by
    /// name) that it was not asked for yet. Training jobs only: scoring is one pass per shard, nothing to balance.
    /// </summary>
    private void EnsureReplicas()
    {
        if (_settings.ShardReplicas <= 0 || !_state.Plan.IsTraining || !_state.IsPlaced || _state.IsFinished) return;
        var ring = _state.Workers.Where(_workers.ContainsKey).Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < ring.Count; i++)
        {
            var worker = ring[i];
            var asked = _replicasAsked.TryGetValue(worker, out var a) ? a : _replicasAsked[worker] = [];
            var fresh = Enumerable.Range(1, Math.Min(_settings.ShardReplicas, ring.Count - 1))
                .SelectMany(j => _state.ShardsOf(ring[(i + j) % ring.Count]))
                .Where(s => !asked.Contains(s) && _state.Owners[s] != worker).Order().ToList();
            if (fresh.Count == 0) continue;
            asked.UnionWith(fresh);
            _workers[worker].Tell(new HoldReplicas(JobId, _state.Plan.Dataset, fresh), Self);
        }
    }

    private void OnReplicasHeld(ReplicasHeld held, IActorRef skipChannel)
    {
        if (!_workers.ContainsKey(held.WorkerId) || _state.IsFinished) { _ignored++; return; }
        _skipChannels[held.WorkerId] = skipChannel;
        var shards = _replicasHeld.TryGetValue(held.WorkerId, out var h) ? h : _replicasHeld[held.WorkerId] = [];
        shards.UnionWith(held.Shards);
        // A pass on distinct records needs the shard's counts: once counted, they go with the replica.
        if (_state.Stage != JobStage.Counting) SendReplicaCounts(held.WorkerId, held.Shards);
    }

    private void SendReplicaCounts(string workerId, IEnumerable<int> shards)
    {
        if (!_state.Plan.CountsRecords || !_workers.TryGetValue(workerId, out var worker)) return;
        if (_state.CountsCommand([.. shards.Order()]) is { Shards.Count: > 0 } counts) worker.Tell(counts, Self);
    }

    /// <summary>
    /// Forgets a lost or restarted worker's replicas; returns the shards it had taken over and not finished. A piece it
    /// was computing needs nothing given back: its owner skips only chunks whose parts are in.
    /// </summary>
    private IReadOnlyList<int> ForgetReplicas(string workerId)
    {
        _replicasAsked.Remove(workerId);
        _replicasHeld.Remove(workerId);
        _skipChannels.Remove(workerId);
        _splits.Forget(workerId);
        return _stealing.Forget(workerId, s => _state.PendingResults.ContainsKey(s));
    }

    /// <summary>Shards taken over by a worker that is gone: their owners compute them after all (skip marks are used up or moot).</summary>
    private void GiveBack(IReadOnlyList<int> shards, string from)
    {
        foreach (var group in shards.Where(s => _state.Owners[s] != from).GroupBy(s => _state.Owners[s]))
            if (_state.PassCommand([.. group]) is { } command) Send(group.Key, command);
    }

    /// <summary>
    /// Each worker that has finished its shards of the pass takes the last not-yet-started shard of the worker with the
    /// most left, among its replicas (<see cref="ShardStealing"/>); the owner is told to skip it. From an unreachable
    /// worker every open shard may be taken, the one it was computing too. Whoever's result comes first is kept, the
    /// other ignored: the bits are the same.
    /// </summary>
    private void TakeOverLaggingWork()
    {
        if (_settings.ShardReplicas <= 0 || _state.CurrentPass is not { } pass) return;
        Func<int, bool> done = s => _state.PendingResults.ContainsKey(s);
        // An unreachable worker (frozen, or dead and not yet removed) is presumed to have started nothing.
        Func<string, int> started = v => _suspected.ContainsKey(v) ? 0 : _state.CoresOf(v);
        Func<string, int, bool> holds = (t, s) => _replicasHeld.TryGetValue(t, out var held) && held.Contains(s);
        foreach (var thief in _state.Workers)
        {
            if (!_workers.ContainsKey(thief)) continue;
            if (_stealing.Steal(pass.PassNumber, thief, done, started, holds) is { } taken)
            {
                if (_state.PassCommand([taken.Shard]) is not { } command || !Send(thief, command)) return;
                _skipChannels.GetValueOrDefault(taken.Victim)?.Tell(new SkipShards(JobId, pass.PassNumber, [taken.Shard]), Self);
                if (_passTiming?.PassNumber == pass.PassNumber) _passTiming.ShardsTaken++;
                continue;
            }
            // Nothing unstarted left to take: the thief computes the back of the laggard's running shard, from its last
            // chunk down to where the laggard's pace says they meet (ShardSplits).
            if (!PartitionCompute.IsChunked(pass) || _splits.IsBusy(pass.PassNumber, thief)
                || _stealing.SplitCandidate(pass.PassNumber, thief, done, started, holds, s => _splits.Involves(pass.PassNumber, s)) is not { } cut
                || _splits.PieceStart(pass.PassNumber, cut.Victim, _state.CoresOf(cut.Victim),
                    _stealing.OpenShards(pass.PassNumber, cut.Victim, done).Sum(_state.TrainingRowsOf),
                    _state.TrainingRowsOf(cut.Shard), thief, _state.CoresOf(thief), Clock, PieceLatencySeconds) is not { } first
                || _state.PassCommand([cut.Shard]) is not { } piece || !Send(thief, piece with { FirstChunk = first })) continue;
            _splits.Given(pass.PassNumber, cut.Shard, thief, cut.Victim);
            if (_passTiming?.PassNumber == pass.PassNumber) _passTiming.ShardsSplit++;
        }
    }

    /// <summary>Tracks moved shards until each has delivered the current stage's result again (ShardsRecovered).</summary>
    private void StartRecovery(IReadOnlyList<int> moved)
    {
        var pending = _state.MissingShards.Intersect(moved).ToHashSet();
        if (_state.Stage == JobStage.Loading) pending = [.. moved.Where(s => !_state.Loaded.ContainsKey(s))];
        if (_recovery is { } open) { pending.UnionWith(open.Pending); moved = [.. open.Moved.Union(moved)]; }
        _recovery = pending.Count == 0 ? null : (pending, [.. moved.Order()], _recovery?.Since ?? Now);
        if (_recovery is null && moved.Count > 0) Publish(new ShardsRecovered(Now, [.. moved.Order()], TimeSpan.Zero));
    }

    private void Recovered(int shard)
    {
        if (_recovery is not { } r || !r.Pending.Remove(shard) || r.Pending.Count > 0) return;
        _recovery = null;
        Publish(new ShardsRecovered(Now, r.Moved, Now - r.Since));
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

    private void SendCommands(string workerId, bool includeLoad, bool includeCounts = false)
    {
        foreach (var command in _state.CommandsFor(workerId, includeLoad, includeCounts))
            if (!Send(workerId, command)) return;
    }

    /// <summary>Sends one command to a worker (false when it is gone or the command is too large: the job fails then).</summary>
    private bool Send(string workerId, object command)
    {
        if (!_workers.TryGetValue(workerId, out var worker)) return false;
        if (TooLargeFor(worker, command) is { } error)
        {
            Fail(error);
            return false;
        }
        // A pass's clock starts with its first command; a re-send after a lost worker keeps it (the wall includes recovery).
        if (command is ComputePass pass)
        {
            if (_passTiming?.PassNumber != pass.PassNumber) _passTiming = new PassTiming(pass.PassNumber);
            if (worker.Path.Address.HasGlobalScope) _passTiming.BytesSent += PassBytes.Of(pass.Pass).Length;
            if (pass.FirstChunk == 0) // a piece is not the taker's own work: it neither opens shards nor sets a pace
            {
                _stealing.Dispatched(pass.PassNumber, workerId, pass.Shards.Select(s => s.Shard));
                _splits.Sent(pass.PassNumber, workerId, Clock);
            }
        }
        worker.Tell(command, Self);
        return true;
    }

    /// <summary>The error when a command for a remote worker would not fit Akka.Remote's frame (see <see cref="FrameLimit"/>).</summary>
    private string? TooLargeFor(IActorRef worker, object command)
    {
        if (!worker.Path.Address.HasGlobalScope) return null; // local: never serialized, and ComputePass bytes not needed
        long bytes = command switch
        {
            ComputePass p => PassBytes.Of(p.Pass).Length,
            ScoreShards s => s.ModelBytes.Length,
            CollectAnomalies c => c.ModelBytes.Length,
            LoadShards l => 2L * l.Dataset.PreprocessorJson.Length,
            UseRecordCounts u => u.CountsBytes.Length,
            _ => 0,
        };
        return FrameLimit.Exceeded(Context.System, worker, bytes, $"{command.GetType().Name} to {worker.Path.Address}");
    }

    /// <summary>
    /// The one way state changes live. A journaled event is persisted first (Akka stashes incoming messages meanwhile)
    /// and applied, then <paramref name="then"/> acts on the new state; other events apply at once.
    /// </summary>
    private void Apply(CoordinatorEvent e, Action? then = null)
    {
        if (e is IJournaledEvent)
        {
            Persist(e, persisted =>
            {
                ApplyNow(persisted);
                then?.Invoke();
            });
            return;
        }
        ApplyNow(e);
        then?.Invoke();
    }

    /// <summary>
    /// A pass's end, off the critical path of the next pass: the journaled event is applied in memory and
    /// <paramref name="ahead"/> sends the next pass's work at once, while the journal writes the event;
    /// <paramref name="durable"/> (what must never happen for an event the journal lacks: the iteration's report, the
    /// job's completion) runs when the write is acknowledged. Akka stashes every other message until then, so
    /// <paramref name="durable"/> sees exactly the state after this event.
    /// </summary>
    /// <remarks>
    /// Safe on a crash because a pass is pure: the journal may be one pass behind what the workers were told, never
    /// ahead. If the write fails or the process dies first, the coordinator recovers to the previous pass and asks for it
    /// again (the same bits, as <see cref="CoordinatorState"/> is deterministic); results of the pass sent ahead reach
    /// the dead incarnation or are stale (keyed by pass number) and are ignored. Persist is called before
    /// <paramref name="ahead"/> so that an event <paramref name="ahead"/> journals (a <see cref="JobFailed"/>) follows this
    /// one in the journal, as it does in memory.
    /// </remarks>
    private void ApplyAhead(CoordinatorEvent e, Action ahead, Action durable)
    {
        ApplyNow(e);
        Persist(e, _ => durable());
        ahead();
    }

    private void ApplyNow(CoordinatorEvent e)
    {
        _state = _state.Apply(e);
        if (e is ShardsPlaced && !_delaysApplied) ApplyDelays();
    }

    private bool _delaysApplied;

    /// <summary>Chaos delays start with the first placement (a <c>random</c> target is drawn from the full initial membership).</summary>
    private void ApplyDelays()
    {
        _delaysApplied = true;
        foreach (var action in _settings.Chaos.Actions.OfType<DelayMessages>())
            if (ChaosPlan.Resolve(action.Target, _state.Workers, _settings.ChaosSeed) is { } id && _delays.TryAdd(id, action.Delay))
                Publish(new ChaosInjected(Now, $"delay messages by {action.Delay.TotalMilliseconds:0} ms", id));
    }

    private void Fail(string error)
    {
        if (_state.IsFinished) return;
        Apply(new JobFailed(error), Finish);
    }

    private void Finish()
    {
        var succeeded = _state.Stage == JobStage.Completed;
        Timers.CancelAll();
        Publish(new JobFinished(Now, JobId, succeeded, _state.Error));
        foreach (var worker in _workers.Values) worker.Tell(new ReleaseJob(JobId), Self);
        _client.Tell(succeeded ? new JobCompleted(_state) : new JobAborted(JobId, _state.Error ?? "failed"), Self);
    }

    private IReadOnlyDictionary<string, IReadOnlyList<int>> Assignment() =>
        _state.Workers.ToDictionary(w => w, w => _state.ShardsOf(w));

    private void Publish(JobEvent e)
    {
        try { _observer.OnEvent(e); }
        catch (Exception ex) { Context.GetLogger().Error(ex, "job observer threw on {0}", e.GetType().Name); }
    }
}
