using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using DistGmm.Cluster.Serialization;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <param name="WorkerId">Stable id (survives restarts; the coordinator keys placement by it).</param>
/// <param name="Cores">Cores this worker may use to compute its shards.</param>
/// <param name="Source">Where shards come from (default: the Parquet dataset).</param>
/// <param name="BeforeCommand">Fault-injection hook for tests: runs before each command; throwing crashes the worker.</param>
/// <param name="OnChaosKill">What <c>--chaos kill</c> does: a worker node SIGKILLs its process; null: the worker actor stops for good.</param>
/// <param name="Compute">The node's compute threads, shared by its workers (null: the worker's cores from the thread pool).</param>
public sealed record WorkerOptions(string WorkerId, int Cores, IShardSource? Source = null, Action<string, object>? BeforeCommand = null,
    Action<string>? OnChaosKill = null, ChunkPool? Compute = null);

/// <summary>
/// The coordinator a worker answers to, shared by every incarnation of one worker actor (Akka restarts create a new
/// instance from the same Props): after a crash the new instance announces itself to the coordinator its predecessor
/// served, which reloads its shards and resends the missing work.
/// </summary>
public sealed class CoordinatorLink(IActorRef? coordinator = null)
{
    private volatile IActorRef? _coordinator = coordinator;

    public IActorRef? Coordinator
    {
        get => _coordinator;
        set => _coordinator = value;
    }
}

/// <summary>
/// Holds shards in memory across passes and computes what the coordinator asks, one reply per shard. Shards are
/// computed in parallel on the worker's cores; results do not depend on that (fixed blocks, fixed reduction order).
/// A crash loses the loaded shards: after the supervisor restarts it, the worker announces itself again
/// (<see cref="WorkerReady"/>) and the coordinator reloads and recomputes what is missing. In cluster mode the
/// coordinator finds the worker (<see cref="IdentifyWorker"/>) when its node comes up.
/// </summary>
public sealed class WorkerActor : UntypedActor
{
    private readonly CoordinatorLink _link;
    private readonly WorkerOptions _options;
    private readonly IShardSource _source;
    private readonly Dictionary<(string Job, int Shard), WorkerShard> _shards = [];
    private readonly Dictionary<(string Job, int Shard), double[]> _scores = [];
    // The records scoring, per shard: its distinct records' first occurrences (what training passes see) and every
    // row's multiplicity in the job's data (what scoring adds log P(m) for). Per job: the merged counts, parsed once.
    private readonly Dictionary<(string Job, int Shard), (DataMatrix Representatives, long[] Multiplicities)> _records = [];
    private readonly Dictionary<string, RecordCountsResult> _counts = new(StringComparer.Ordinal);
    private (byte[] Bytes, GaussianMixture Model)? _model;
    private readonly ChunkRunner _runner;
    private readonly SkipBook _skips = new();
    private IActorRef _skipChannel = ActorRefs.Nobody;

    public WorkerActor(CoordinatorLink link, WorkerOptions options)
    {
        _link = link;
        _options = options with { Cores = Math.Max(1, options.Cores) };
        _source = options.Source ?? new DatasetShardSource();
        _runner = options.Compute ?? ChunkRunner.Parallel(_options.Cores);
    }

    /// <param name="link">The coordinator to announce to (embedded: known at once; cluster: set by <see cref="IdentifyWorker"/>).</param>
    public static Props Props(CoordinatorLink link, WorkerOptions options) =>
        Akka.Actor.Props.Create(() => new WorkerActor(link, options)).WithDispatcher(DispatcherId);

    /// <summary>The worker's own thread (distgmm.conf): its computations must not hold the shared dispatcher's threads.</summary>
    public const string DispatcherId = "distgmm.worker-dispatcher";

    private string Id => _options.WorkerId;

    protected override void PreStart()
    {
        // On the default dispatcher: it must take SkipShards while this actor's thread computes.
        _skipChannel = Context.ActorOf(Akka.Actor.Props.Create(() => new SkipChannel(_skips)), "skips");
        _link.Coordinator?.Tell(new WorkerReady(Id, _options.Cores), Self);
    }

    protected override void OnReceive(object message)
    {
        _options.BeforeCommand?.Invoke(Id, message);
        if (WorkerProgress.Describe(Id, message) is { } progress) Context.System.EventStream.Publish(progress);
        switch (message)
        {
            case IdentifyWorker identify:
                _link.Coordinator = Sender;
                Context.GetLogger().Info("worker {0}: coordinator {1} identified this worker", Id, identify.CoordinatorNode);
                Sender.Tell(new WorkerReady(Id, _options.Cores), Self);
                break;
            case ChaosKill chaos:
                Context.GetLogger().Warning("worker {0}: killed by {1}", Id, chaos.Reason);
                if (_options.OnChaosKill is { } kill) kill(chaos.Reason);
                else Context.Stop(Self);
                break;
            case LoadShards load: Load(load); break;
            case HoldReplicas hold: Hold(hold); break;
            case UseRecordCounts counts: UseCounts(counts); break;
            case ComputePass pass: Compute(pass); break;
            case ScoreShards score: Score(score); break;
            case CollectAnomalies collect: Collect(collect); break;
            case ReleaseJob release: Release(release.JobId); break;
            default: Unhandled(message); break;
        }
    }

    private void Load(LoadShards load)
    {
        var replyTo = Sender;
        if (LoadMissing(load.JobId, load.Dataset, load.Shards) is [var (bad, error), ..])
        {
            replyTo.Tell(new ShardLoadFailed(load.JobId, Id, bad, error), Self); // a data error: fatal for the job
            return;
        }
        // Confirm every requested shard (also ones held already): a reassignment or a retry may ask again.
        foreach (var s in load.Shards)
        {
            var shard = _shards[(load.JobId, s)];
            replyTo.Tell(new ShardLoaded(load.JobId, Id, s, shard.Rows, shard.Features.Cols), Self);
        }
    }

    private void Hold(HoldReplicas hold)
    {
        // A replica is an extra: one that cannot be read is left out (its owner reports the data error).
        foreach (var (shard, error) in LoadMissing(hold.JobId, hold.Dataset, hold.Shards))
            Context.GetLogger().Warning("worker {0}: replica of shard {1} not held: {2}", Id, shard, error);
        Sender.Tell(new ReplicasHeld(hold.JobId, Id, [.. hold.Shards.Where(s => _shards.ContainsKey((hold.JobId, s)))]), _skipChannel);
    }

    /// <summary>Loads the listed shards this worker does not hold yet, in parallel; returns the ones whose data is bad, with why.</summary>
    private List<(int Shard, string Error)> LoadMissing(string jobId, DatasetRef dataset, IReadOnlyList<int> shards)
    {
        var todo = shards.Where(s => !_shards.ContainsKey((jobId, s))).ToArray();
        var loaded = new WorkerShard?[todo.Length];
        var errors = new string?[todo.Length];
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        ForEachParallel(todo.Length, i =>
        {
            try { loaded[i] = _source.Load(dataset, todo[i]); }
            catch (Exception ex) when (IsDataError(ex)) { errors[i] = ex.Message; }
        });
        // The shards are what this worker holds from now on: give the loads' free space back to the OS (the GC keeps
        // it committed otherwise, ~0.5 GB beside 1.9 GB of shards on 4.9M KDD rows). Not when the shards came from
        // memory (a reused shard allocates nothing).
        if (GC.GetTotalAllocatedBytes() - allocatedBefore > 64 << 20) GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var failed = new List<(int, string)>();
        for (var i = 0; i < todo.Length; i++)
        {
            if (loaded[i] is { } shard) _shards[(jobId, todo[i])] = shard;
            else failed.Add((todo[i], errors[i]!));
        }
        return failed;
    }

    private void UseCounts(UseRecordCounts command)
    {
        if (!_counts.TryGetValue(command.JobId, out var counts))
        {
            // The job's counts never change once counted: a re-send (after a restart or a reassignment) is not re-read.
            counts = PassResult.FromBytes(command.CountsBytes) as RecordCountsResult
                ?? throw new InvalidOperationException($"Job {command.JobId}: the record counts sent are not record counts.");
            _counts[command.JobId] = counts;
        }
        var todo = command.Shards.Where(s => !_records.ContainsKey((command.JobId, s.Shard))).ToArray();
        var shards = todo.Select(s => Shard(command.JobId, s.Shard)).ToArray();
        var derived = new (DataMatrix, long[])[todo.Length];
        ForEachParallel(todo.Length, i => derived[i] = (
            DistinctRecords.Representatives(shards[i].Features, todo[i].GlobalRowOffset, counts),
            DistinctRecords.Multiplicities(shards[i].Features, counts)));
        for (var i = 0; i < todo.Length; i++) _records[(command.JobId, todo[i].Shard)] = derived[i];
    }

    private void Compute(ComputePass command)
    {
        var replyTo = Sender;
        var started = Stopwatch.GetTimestamp();
        var slices = command.Shards;
        var works = PartitionCompute.Plan(command.Pass, slices.Select(s =>
            (command.OnDistinctRecords ? Records(command.JobId, s.Shard).Representatives : Shard(command.JobId, s.Shard).Features, s.GlobalRowOffset)).ToArray());
        void Reply(int shard, PassResult result, int firstChunk = 0, int chunkCount = 0, int shardChunks = 0)
        {
            var bytes = result.ToBytes();
            if (FrameLimit.Exceeded(Context.System, replyTo, bytes.Length, $"shard {shard}'s statistics for pass {command.PassNumber}") is { } error)
                replyTo.Tell(new WorkFailed(command.JobId, Id, error), Self);
            else
                replyTo.Tell(new ShardStatsComputed(command.JobId, command.PassNumber, shard, bytes, Stopwatch.GetElapsedTime(started).TotalSeconds,
                    firstChunk, chunkCount, shardChunks), Self);
        }
        if (command.FirstChunk > 0)
        {
            // A piece of a lagging worker's shard: from its last chunk down, each chunk's part alone as soon as it is
            // done (the owner stops where this has reached), until the shard is complete (SkipShards) or this reaches
            // the first chunk given. On this thread: a piece is a few chunks, and the owner's pace sets where they meet.
            for (var i = 0; i < works.Length; i++)
            {
                var shard = slices[i].Shard;
                for (var c = works[i].Chunks - 1; c >= command.FirstChunk && !_skips.IsSkipped(command.JobId, command.PassNumber, shard); c--)
                {
                    works[i].RunChunk(c);
                    Reply(shard, works[i].Result(c, 1), c, 1, works[i].Chunks);
                }
            }
            return;
        }
        _skips.Begin(command.JobId, command.PassNumber);
        // A shard another worker has taken (SkipShards) is skipped if it has not started; one started is finished, but
        // the back of its chunks that another worker has computed is skipped if not started (SkipChunks): then its
        // front is the answer.
        var skippable = works.Select((work, i) => new SkippableWork(work, () => _skips.TryStart(command.JobId, command.PassNumber, slices[i].Shard))).ToArray();
        for (var i = 0; i < skippable.Length; i++) _skips.Track(command.JobId, command.PassNumber, slices[i].Shard, skippable[i]);
        // Every chunk of every shard at once: on a node whose workers share its compute threads, a core that is done
        // with this worker's chunks takes another worker's. Same bits whoever computes a chunk. Each shard's statistics
        // go as soon as they are complete, while the next shards compute.
        _runner.Run(skippable, i =>
        {
            if (skippable[i].Skipped) return;
            var firstGiven = skippable[i].FirstGiven;
            if (firstGiven == skippable[i].Chunks) Reply(slices[i].Shard, skippable[i].Result());
            else Reply(slices[i].Shard, skippable[i].Result(), 0, firstGiven, skippable[i].Chunks);
        });
    }

    private void Score(ScoreShards command)
    {
        var replyTo = Sender;
        var model = Model(command.ModelBytes);
        var shards = command.Shards.Select(s => Shard(command.JobId, s)).ToArray();
        var multiplicities = command.Shards.Select(s => Multiplicities(command.JobId, s, command.Multiplicity)).ToArray();
        var scores = ScoreRows(model, shards, command.Multiplicity, multiplicities);
        for (var i = 0; i < shards.Length; i++)
        {
            _scores[(command.JobId, command.Shards[i])] = scores[i];
            var moments = new ScoreMoments(0, 0, 0).Add(scores[i]);
            var size = 16L * scores[i].Length + (shards[i].Labels?.Sum(l => 5L + (l?.Length ?? 0)) ?? 0);
            if (FrameLimit.Exceeded(Context.System, replyTo, size, $"shard {command.Shards[i]}'s scores ({scores[i].Length} rows)") is { } error)
                replyTo.Tell(new WorkFailed(command.JobId, Id, error + "; or ingest into more shards"), Self);
            else
                replyTo.Tell(new ShardScored(command.JobId, command.Shards[i], moments, shards[i].RowIds, scores[i], shards[i].Labels), Self);
        }
    }

    private void Collect(CollectAnomalies command)
    {
        var replyTo = Sender;
        var model = Model(command.ModelBytes);
        foreach (var s in command.Shards)
        {
            var shard = Shard(command.JobId, s);
            var multiplicities = Multiplicities(command.JobId, s, command.Multiplicity);
            if (!_scores.TryGetValue((command.JobId, s), out var scores))
                _scores[(command.JobId, s)] = scores = ScoreRows(model, [shard], command.Multiplicity, [multiplicities])[0]; // lost in a restart or inherited
            var rows = new List<AnomalyRow>();
            for (var r = 0; r < scores.Length; r++)
            {
                if (!(scores[r] < command.Threshold)) continue;
                var (numbers, texts) = shard.RawRow(r);
                rows.Add(new AnomalyRow(shard.RowIds[r], scores[r], shard.Labels?[r], numbers, texts, multiplicities?[r] ?? 1));
            }
            replyTo.Tell(new AnomaliesCollected(command.JobId, s, shard.NumericColumns, shard.TextColumns, rows), Self);
        }
    }

    private void Release(string jobId)
    {
        _skips.Forget(jobId);
        foreach (var key in _shards.Keys.Where(k => k.Job == jobId).ToList()) _shards.Remove(key);
        foreach (var key in _scores.Keys.Where(k => k.Job == jobId).ToList()) _scores.Remove(key);
        foreach (var key in _records.Keys.Where(k => k.Job == jobId).ToList()) _records.Remove(key);
        _counts.Remove(jobId);
    }

    /// <summary>
    /// score_samples over the shards, in fixed chunks on the node's compute threads (no per-row allocation); in the
    /// records scoring plus log P(m) of each row's multiplicity.
    /// </summary>
    private double[][] ScoreRows(GaussianMixture model, WorkerShard[] shards, MultiplicityModel? multiplicity, long[]?[] multiplicities)
    {
        var scores = shards.Select(s => new double[s.Rows]).ToArray();
        _runner.Run(model.PlanScoreSamples(shards.Select(s => s.Features).ToArray(), scores));
        if (multiplicity is not null)
            for (var i = 0; i < shards.Length; i++) DistinctRecords.AddMultiplicity(scores[i], multiplicities[i]!, multiplicity);
        return scores;
    }

    /// <summary>The shard's row multiplicities when scoring records (null when scoring rows).</summary>
    private long[]? Multiplicities(string jobId, int shard, MultiplicityModel? multiplicity) =>
        multiplicity is null ? null : Records(jobId, shard).Multiplicities;

    private (DataMatrix Representatives, long[] Multiplicities) Records(string jobId, int shard) =>
        _records.TryGetValue((jobId, shard), out var r)
            ? r
            // As for a missing shard: out of step (the counts always precede the work that needs them). Crash; the
            // restart makes the coordinator reload, re-send the counts and the work.
            : throw new InvalidOperationException($"Worker {Id} has no record counts for shard {shard} of job {jobId}.");

    private WorkerShard Shard(string jobId, int shard) =>
        _shards.TryGetValue((jobId, shard), out var s)
            ? s
            // Not a data error: our state is out of step (e.g. a command overtook a lost load). Crash; the restart
            // makes the coordinator reload and resend.
            : throw new InvalidOperationException($"Worker {Id} does not hold shard {shard} of job {jobId}.");

    private GaussianMixture Model(byte[] bytes)
    {
        if (_model is { } m && ReferenceEquals(m.Bytes, bytes)) return m.Model;
        var model = GaussianMixture.FromBytes(bytes);
        _model = (bytes, model);
        return model;
    }

    private void ForEachParallel(int count, Action<int> body)
    {
        if (count == 1 || _options.Cores == 1)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _options.Cores }, body);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }
    }

    /// <summary>Errors in the data itself: reported to the coordinator (fatal for the job), not "fixed" by restarting.</summary>
    private static bool IsDataError(Exception ex) =>
        ex is DataFormatException or FormatException or InvalidDataException
            or FileNotFoundException or DirectoryNotFoundException or ArgumentOutOfRangeException or NonFiniteValueException;
}
