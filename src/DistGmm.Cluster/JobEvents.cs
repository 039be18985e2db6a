namespace DistGmm.Cluster;

/// <summary>What a running job reports (progress bars, the status page, events.log). Delivered on actor threads.</summary>
public interface IJobObserver
{
    void OnEvent(JobEvent e);
}

/// <summary>A progress fact, time-stamped by the coordinator's clock.</summary>
public abstract record JobEvent(DateTimeOffset Time)
{
    /// <summary>One line for events.log.</summary>
    public abstract string Describe();
}

public sealed record JobStarted(DateTimeOffset Time, string JobId, string Kind, int Shards, int Workers) : JobEvent(Time)
{
    public override string Describe() => $"job {JobId} started: {Kind}, {Shards} shards, {Workers} workers";
}

public sealed record ShardsAssigned(DateTimeOffset Time, IReadOnlyDictionary<string, IReadOnlyList<int>> ByWorker, string Reason) : JobEvent(Time)
{
    public override string Describe() =>
        $"shards assigned ({Reason}): " + string.Join("; ", ByWorker.Select(kv => $"{kv.Key}=[{string.Join(",", kv.Value)}]"));
}

public sealed record ShardsLoaded(DateTimeOffset Time, long Rows, int Features) : JobEvent(Time)
{
    public override string Describe() => $"all shards loaded: {Rows} rows, {Features} features";
}

public sealed record StageChanged(DateTimeOffset Time, string Stage) : JobEvent(Time)
{
    public override string Describe() => $"stage: {Stage}";
}

/// <summary>An EM iteration finished; <paramref name="Delta"/> is the lower bound change (null on the first).</summary>
/// <remarks>Elapsed to 0.1 ms: `bench` reads cluster iterations back from this line, and whole milliseconds were 2 % of a K=2 iteration.</remarks>
public sealed record IterationCompleted(DateTimeOffset Time, int K, int Iteration, double LowerBound, double? Delta, TimeSpan Elapsed) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"K={K} iteration {Iteration}: lower bound {LowerBound:R}{(Delta is { } d ? $", delta {d:E3}" : "")}, {Elapsed.TotalMilliseconds:0.0} ms");

    private static readonly System.Text.RegularExpressions.Regex Line = new(
        @"^K=(?<k>\d+) iteration (?<it>\d+): lower bound (?<lb>\S+?)(, delta (?<delta>\S+))?, (?<ms>[0-9.]+) ms$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Reads back an events.log text written by <see cref="Describe"/> (elapsed to 0.1 ms); null for any other line.</summary>
    public static IterationCompleted? Parse(DateTimeOffset time, string text)
    {
        if (Line.Match(text) is not { Success: true } m) return null;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        double? delta = m.Groups["delta"].Success ? double.Parse(m.Groups["delta"].Value, inv) : null;
        return new IterationCompleted(time, int.Parse(m.Groups["k"].Value, inv), int.Parse(m.Groups["it"].Value, inv),
            double.Parse(m.Groups["lb"].Value, inv), delta, TimeSpan.FromMilliseconds(double.Parse(m.Groups["ms"].Value, inv)));
    }
}

/// <summary>
/// A pass's timing, as the coordinator saw it: <paramref name="Wall"/> from sending the pass's commands to accepting its
/// last shard result; per worker, the time from taking up its command to its last result (<paramref name="SlowestWorker"/>,
/// <paramref name="FastestWorker"/>). Wall − slowest is what coordination costs (transport, merge, waking threads); with
/// workers on their own nodes, slowest − fastest is the time the faster ones waited (embedded workers share one pool of
/// compute threads, so theirs finish one after the other). <paramref name="BytesSent"/> and <paramref name="BytesReceived"/>:
/// the protocol payload of the pass's commands and shard results that crossed the network (0 for in-process workers).
/// Observation only: never journaled, never part of the model.
/// </summary>
/// <param name="ShardsTaken">Shards a worker took over from a lagging one in this pass (work stealing).</param>
/// <param name="ShardsSplit">Shards a lagging worker cut in this pass, giving the back of their chunks to an idle one.</param>
public sealed record PassTimed(DateTimeOffset Time, int PassNumber, TimeSpan Wall, TimeSpan SlowestWorker, TimeSpan FastestWorker, int Workers,
    long BytesSent = 0, long BytesReceived = 0, int ShardsTaken = 0, int ShardsSplit = 0) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"pass {PassNumber} timed: {Wall.TotalMilliseconds:0.0} ms from commands to last result; {Workers} worker(s) busy {FastestWorker.TotalMilliseconds:0.0}–{SlowestWorker.TotalMilliseconds:0.0} ms; payload on the network {BytesSent} bytes out, {BytesReceived} bytes in")
        + (ShardsTaken > 0 ? FormattableString.Invariant($"; {ShardsTaken} shard(s) taken over from lagging workers") : "")
        + (ShardsSplit > 0 ? FormattableString.Invariant($"; {ShardsSplit} shard(s) split with lagging workers") : "");

    // The payload and taken-over parts are optional: events.log files written before they were added still read back.
    private static readonly System.Text.RegularExpressions.Regex Line = new(
        @"^pass (?<pass>\d+) timed: (?<wall>[0-9.]+) ms from commands to last result; (?<workers>\d+) worker\(s\) busy (?<fast>[0-9.]+)–(?<slow>[0-9.]+) ms(; payload on the network (?<out>\d+) bytes out, (?<in>\d+) bytes in)?(; (?<taken>\d+) shard\(s\) taken over from lagging workers)?(; (?<split>\d+) shard\(s\) split with lagging workers)?$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Reads back an events.log text written by <see cref="Describe"/> (times to 0.1 ms); null for any other line.</summary>
    public static PassTimed? Parse(DateTimeOffset time, string text)
    {
        if (Line.Match(text) is not { Success: true } m) return null;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        TimeSpan Ms(string group) => TimeSpan.FromMilliseconds(double.Parse(m.Groups[group].Value, invariant));
        long Bytes(string group) => m.Groups[group].Success ? long.Parse(m.Groups[group].Value, invariant) : 0;
        return new PassTimed(time, int.Parse(m.Groups["pass"].Value, invariant), Ms("wall"), Ms("slow"), Ms("fast"),
            int.Parse(m.Groups["workers"].Value, invariant), Bytes("out"), Bytes("in"), (int)Bytes("taken"), (int)Bytes("split"));
    }
}

public sealed record CandidateFitted(DateTimeOffset Time, int K, int Iterations, bool Converged, double LowerBound, double Bic) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"K={K} fitted: {Iterations} iterations, converged={Converged}, lower bound {LowerBound:R}, BIC {Bic:R}");
}

/// <summary>A worker was lost (stopped, or declared dead by the failure detector); its shards move to the survivors.</summary>
/// <param name="SilentFor">When the node had been marked unreachable first: from then to its removal (the detection time).</param>
public sealed record WorkerFailed(DateTimeOffset Time, string WorkerId, string Reason, TimeSpan? SilentFor = null) : JobEvent(Time)
{
    public override string Describe() => SilentFor is { } s
        ? FormattableString.Invariant($"worker {WorkerId} failed: {Reason} (unreachable for {s.TotalSeconds:0.0} s before removal)")
        : $"worker {WorkerId} failed: {Reason}";
}

/// <summary>A worker joined the running job; mid-job joiners get shards at the next iteration boundary (rebalance).</summary>
/// <param name="Address">The worker's node (e.g. akka.tcp://distgmm@10.0.0.11:4053); null for a worker in the coordinator's own process.</param>
/// <param name="Cores">The cores it computes on (0: not said), which set its share of the rows.</param>
public sealed record WorkerJoinedJob(DateTimeOffset Time, string WorkerId, bool MidJob, string? Address = null, int Cores = 0) : JobEvent(Time)
{
    public override string Describe() => (MidJob
        ? $"worker {WorkerId} joined mid-job; it gets shards at the next iteration boundary"
        : $"worker {WorkerId} joined") + (Address is null ? "" : $" from {Address}")
        + (Cores > 0 ? $" with {Cores} core{(Cores == 1 ? "" : "s")}" : "");
}

/// <summary>Akka's failure detector marked the worker's node unreachable; it is not downed yet (that is the split-brain resolver's call).</summary>
public sealed record WorkerUnreachable(DateTimeOffset Time, string WorkerId) : JobEvent(Time)
{
    public override string Describe() => $"worker {WorkerId} unreachable (cluster failure detector)";
}

/// <summary>The split-brain resolver downed the worker's node (it will be removed next, and its shards move then).</summary>
public sealed record WorkerDowned(DateTimeOffset Time, string WorkerId) : JobEvent(Time)
{
    public override string Describe() => $"worker {WorkerId} downed by the split-brain resolver";
}

/// <summary>The coordinator's journal failed; its backoff supervisor starts it again and it recovers from the journal.</summary>
public sealed record CoordinatorRestarting(DateTimeOffset Time, string JobId, string Reason) : JobEvent(Time)
{
    public override string Describe() => $"coordinator of {JobId} restarting: {Reason}";
}

/// <summary>Shards that moved after a failure have all delivered the stage's results again.</summary>
/// <param name="Recompute">From the reassignment to the last recomputed result.</param>
public sealed record ShardsRecovered(DateTimeOffset Time, IReadOnlyList<int> Shards, TimeSpan Recompute) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"shards [{string.Join(",", Shards)}] recomputed after reassignment in {Recompute.TotalSeconds:0.00} s");
}

/// <summary>No worker is left: the coordinator waits for one to join (bounded by the configured wait).</summary>
public sealed record WaitingForWorkers(DateTimeOffset Time, string Reason, TimeSpan MaxWait) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"waiting up to {MaxWait.TotalSeconds:0} s for a worker to join: {Reason}");
}

/// <summary>A restarted coordinator replayed the job's journal and continues after its last completed pass.</summary>
public sealed record JobResumed(DateTimeOffset Time, string JobId, long JournalEvents, int CompletedPasses, string Stage) : JobEvent(Time)
{
    public override string Describe() =>
        $"job {JobId} resumed from the journal: {JournalEvents} events replayed, {CompletedPasses} passes completed, stage {Stage}";
}

/// <summary>A fault injected on purpose by a --chaos option (fault-tolerance experiments).</summary>
public sealed record ChaosInjected(DateTimeOffset Time, string Action, string Target) : JobEvent(Time)
{
    public override string Describe() => $"chaos: {Action} {Target}";
}

public sealed record WorkerRecovered(DateTimeOffset Time, string WorkerId) : JobEvent(Time)
{
    public override string Describe() => $"worker {WorkerId} restarted; its shards are reloaded and recomputed";
}

/// <summary>The records scoring counted every shard's records; the merged counts go to each worker once.</summary>
public sealed record DistinctRecordsCounted(DateTimeOffset Time, long Rows, int Distinct, long Bytes) : JobEvent(Time)
{
    public override string Describe() => $"records counted: {Rows} rows, {Distinct} distinct records ({Bytes} bytes of counts)";
}

public sealed record ScoringProgress(DateTimeOffset Time, int ShardsDone, int ShardsTotal) : JobEvent(Time)
{
    public override string Describe() => $"scored {ShardsDone}/{ShardsTotal} shards";
}

public sealed record ThresholdSet(DateTimeOffset Time, string Rule, double Threshold, double Mean, double Std) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant($"threshold {Threshold:R} ({Rule}; mean {Mean:R}, std {Std:R})");
}

public sealed record JobFinished(DateTimeOffset Time, string JobId, bool Succeeded, string? Error) : JobEvent(Time)
{
    public override string Describe() => Succeeded ? $"job {JobId} completed" : $"job {JobId} failed: {Error}";
}

/// <summary>Sends nothing anywhere (the default observer).</summary>
public sealed class NullJobObserver : IJobObserver
{
    public static NullJobObserver Instance { get; } = new();
    public void OnEvent(JobEvent e) { }
}
