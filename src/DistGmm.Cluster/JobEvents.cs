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
public sealed record IterationCompleted(DateTimeOffset Time, int K, int Iteration, double LowerBound, double? Delta, TimeSpan Elapsed) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"K={K} iteration {Iteration}: lower bound {LowerBound:R}{(Delta is { } d ? $", delta {d:E3}" : "")}, {Elapsed.TotalMilliseconds:0} ms");
}

public sealed record CandidateFitted(DateTimeOffset Time, int K, int Iterations, bool Converged, double LowerBound, double Bic) : JobEvent(Time)
{
    public override string Describe() => FormattableString.Invariant(
        $"K={K} fitted: {Iterations} iterations, converged={Converged}, lower bound {LowerBound:R}, BIC {Bic:R}");
}

public sealed record WorkerFailed(DateTimeOffset Time, string WorkerId, string Reason) : JobEvent(Time)
{
    public override string Describe() => $"worker {WorkerId} failed: {Reason}";
}

public sealed record WorkerRecovered(DateTimeOffset Time, string WorkerId) : JobEvent(Time)
{
    public override string Describe() => $"worker {WorkerId} restarted; its shards are reloaded and recomputed";
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
