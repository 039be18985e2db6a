using System.Collections.Immutable;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>The stages of a job, in order. Counting (the records scoring only) counts each distinct record over all shards.</summary>
public enum JobStage { Registering, Loading, Counting, Training, Scoring, Collecting, Completed, Failed }

/// <summary>
/// What a job must do. A training job fits every candidate in <see cref="Candidates"/> (several when K is chosen by
/// BIC) on the same loaded shards; a scoring job scores <see cref="ScoreModelBytes"/> and collects anomalies.
/// </summary>
/// <param name="ShardRowsHint">Rows per shard from the manifest (before any label filter): used for placement.</param>
/// <param name="Scoring">Rows: fit on every row, score = log p(x). Records: count records first (a Counting stage), fit on
/// each distinct record's first occurrence, score = log p(x) + log P(m) with m the row's multiplicity in the scored data.</param>
/// <param name="ScoreMultiplicity">A records scoring job: the model's multiplicity distribution, P(m); null: that of the counted data.</param>
public sealed record JobPlan(string JobId, DatasetRef Dataset, IReadOnlyList<long> ShardRowsHint, int ExpectedWorkers,
    IReadOnlyList<EmOptions> Candidates, byte[]? ScoreModelBytes = null, ThresholdRule? Threshold = null,
    Scoring Scoring = Scoring.Rows, MultiplicityModel? ScoreMultiplicity = null)
{
    public int ShardCount => ShardRowsHint.Count;
    public bool IsTraining => Candidates.Count > 0;
    public bool CountsRecords => Scoring.CountsRecords();
}

/// <summary>
/// The coordinator as a pure state machine: immutable, changed only by <see cref="Apply"/>, with queries that tell the
/// hosting actor what each worker should be doing. No clocks, no I/O, no randomness: the same events give the same
/// state, which is what makes journal replay and bit-identical models possible.
/// </summary>
public sealed record CoordinatorState
{
    private CoordinatorState(JobPlan plan) => Plan = plan;

    public JobPlan Plan { get; }
    public JobStage Stage { get; private init; } = JobStage.Registering;
    public string? Error { get; private init; }
    public ImmutableList<string> Workers { get; private init; } = [];
    /// <summary>Every worker that joined this job, lost or not, in order of joining (membership since this coordinator's start).</summary>
    public ImmutableList<string> JoinedWorkers { get; private init; } = [];
    /// <summary>Each member's cores, as it joined (placement weighs rows by them).</summary>
    public ImmutableDictionary<string, int> WorkerCores { get; private init; } = ImmutableDictionary<string, int>.Empty;
    /// <summary>Members when the shards were first placed (0 until then).</summary>
    public int WorkersAtPlacement { get; private init; }
    /// <summary>How many times a member was lost (a worker that rejoined and was lost again counts twice).</summary>
    public int WorkersLost { get; private init; }
    /// <summary>Owner worker of each shard (empty until placed).</summary>
    public ImmutableArray<string> Owners { get; private init; } = [];
    public ImmutableSortedDictionary<int, (long Rows, int Cols)> Loaded { get; private init; } = ImmutableSortedDictionary<int, (long, int)>.Empty;
    public EmTraining? Training { get; private init; }
    public int CandidateIndex { get; private init; }
    public ImmutableList<GmmFitResult> Fits { get; private init; } = [];
    public ImmutableSortedDictionary<int, PassResult> PendingResults { get; private init; } = ImmutableSortedDictionary<int, PassResult>.Empty;
    public ImmutableSortedDictionary<int, ShardScored> Scored { get; private init; } = ImmutableSortedDictionary<int, ShardScored>.Empty;
    public double? Threshold { get; private init; }
    public ImmutableSortedDictionary<int, AnomaliesCollected> Anomalies { get; private init; } = ImmutableSortedDictionary<int, AnomaliesCollected>.Empty;
    /// <summary>The merged record counts (records scoring, once counted) and their bytes, as sent to the workers.</summary>
    public RecordCountsResult? RecordCounts { get; private init; }
    public byte[]? RecordCountsBytes { get; private init; }
    /// <summary>Records scoring: per shard, the index of its first representative among all distinct records (shard order).</summary>
    public ImmutableArray<long> DistinctOffsets { get; private init; } = [];

    /// <summary>The pass number of the counting pass: outside EmTraining's numbering (0, 1, …), so a late count is never taken for a training result.</summary>
    public const int CountingPassNumber = -1;

    public static CoordinatorState Initial(JobPlan plan)
    {
        if (plan.ShardCount == 0) throw new ArgumentException($"Job {plan.JobId} has no shards.", nameof(plan));
        if (plan.ExpectedWorkers < 1) throw new ArgumentException("A job needs at least one worker.", nameof(plan));
        if (!plan.IsTraining && plan.ScoreModelBytes is null)
            throw new ArgumentException("A job must train (candidates) or score (a model).", nameof(plan));
        return new CoordinatorState(plan);
    }

    public int ShardCount => Plan.ShardCount;
    public bool IsFinished => Stage is JobStage.Completed or JobStage.Failed;
    public DataPass? CurrentPass => Stage switch
    {
        JobStage.Counting => new RecordCountsPass(CountingPassNumber),
        JobStage.Training => Training?.NextPass,
        _ => null,
    };
    public long TotalRows => Loaded.Values.Sum(v => v.Rows);

    /// <summary>Rows the fit sees: every loaded row, or (records scoring) each distinct record once.</summary>
    public long TrainingRows => Plan.CountsRecords ? RecordCounts?.Distinct ?? 0 : TotalRows;

    /// <summary>P(m) for the scoring stage: a scoring job's model's, or the distribution of the counted data (training).</summary>
    public MultiplicityModel? Multiplicity => !Plan.CountsRecords ? null
        : Plan.ScoreMultiplicity ?? (RecordCounts is { } counts ? MultiplicityModel.From(counts) : null);

    /// <summary>The best fit by BIC (the only one when a single K was asked), once training is done.</summary>
    public GmmFitResult? BestFit => Fits.Count == 0 ? null : Fits.OrderBy(f => f.Bic).ThenBy(f => f.Model.K).First();

    /// <summary>Rows of the shard the fit sees (its distinct records when records are counted); valid once counted.</summary>
    public long TrainingRowsOf(int shard) => !Plan.CountsRecords ? Loaded[shard].Rows
        : (shard + 1 < ShardCount ? DistinctOffsets[shard + 1] : RecordCounts?.Distinct ?? 0) - DistinctOffsets[shard];

    /// <summary>Global index of each shard's first kept row (prefix sums in shard order); valid once all are loaded.</summary>
    public long GlobalRowOffset(int shard)
    {
        long offset = 0;
        for (var s = 0; s < shard; s++) offset += Loaded[s].Rows;
        return offset;
    }

    public IReadOnlyList<int> ShardsOf(string workerId) =>
        Owners.IsDefaultOrEmpty ? [] : [.. Enumerable.Range(0, ShardCount).Where(s => Owners[s] == workerId)];

    /// <summary>Shards whose current-stage result has not arrived yet, in shard order.</summary>
    public IReadOnlyList<int> MissingShards => Stage switch
    {
        JobStage.Loading => [.. Enumerable.Range(0, ShardCount).Where(s => !Loaded.ContainsKey(s))],
        JobStage.Counting or JobStage.Training => [.. Enumerable.Range(0, ShardCount).Where(s => !PendingResults.ContainsKey(s))],
        JobStage.Scoring => [.. Enumerable.Range(0, ShardCount).Where(s => !Scored.ContainsKey(s))],
        JobStage.Collecting => [.. Enumerable.Range(0, ShardCount).Where(s => !Anomalies.ContainsKey(s))],
        _ => [],
    };

    /// <summary>True when a shard result for (pass, shard) is wanted now: anything else is a duplicate or stale.</summary>
    public bool AcceptsPassResult(int passNumber, int shard) =>
        Stage is JobStage.Training or JobStage.Counting && CurrentPass?.PassNumber == passNumber
        && shard >= 0 && shard < ShardCount && !PendingResults.ContainsKey(shard);

    public bool AcceptsScores(int shard) => Stage == JobStage.Scoring && shard >= 0 && shard < ShardCount && !Scored.ContainsKey(shard);

    public bool AcceptsAnomalies(int shard) => Stage == JobStage.Collecting && shard >= 0 && shard < ShardCount && !Anomalies.ContainsKey(shard);

    public bool AcceptsLoad(int shard) => Stage == JobStage.Loading && shard >= 0 && shard < ShardCount && !Loaded.ContainsKey(shard);

    /// <summary>The current pass's results merged in shard order (left fold, as the single-process fitter does).</summary>
    public PassResult MergePending()
    {
        if (PendingResults.Count != ShardCount) throw new InvalidOperationException($"Only {PendingResults.Count} of {ShardCount} shard results are in.");
        PassResult? merged = null;
        foreach (var (_, result) in PendingResults) merged = merged is null ? result : merged.Merge(result);
        return merged!;
    }

    /// <summary>The global score moments, merged in shard order (Chan).</summary>
    public ScoreMoments MergedMoments()
    {
        var moments = new ScoreMoments(0, 0, 0);
        foreach (var (_, scored) in Scored) moments = moments.Merge(scored.Moments);
        return moments;
    }

    /// <summary>
    /// The commands that bring <paramref name="workerId"/> up to date for the current stage: a LoadShards of all its
    /// shards (after a restart, or when it inherited shards), the record counts once counted (with the load, or when
    /// <paramref name="includeCounts"/>: right after counting), and the stage's work on its shards still missing.
    /// </summary>
    public IReadOnlyList<object> CommandsFor(string workerId, bool includeLoad, bool includeCounts = false)
    {
        var mine = ShardsOf(workerId);
        if (mine.Count == 0 || IsFinished) return [];
        var commands = new List<object>();
        if (includeLoad || Stage == JobStage.Loading) commands.Add(new LoadShards(Plan.JobId, Plan.Dataset, mine));
        if ((includeLoad || includeCounts) && CountsCommand(mine) is { } counts) commands.Add(counts);
        var missing = MissingShards.Intersect(mine).ToList();
        if (missing.Count == 0) return commands;
        switch (Stage)
        {
            case JobStage.Counting or JobStage.Training:
                if (PassCommand(missing) is { } compute) commands.Add(compute);
                break;
            case JobStage.Scoring:
                commands.Add(new ScoreShards(Plan.JobId, ModelToScore!, missing, Multiplicity));
                break;
            case JobStage.Collecting:
                commands.Add(new CollectAnomalies(Plan.JobId, Threshold!.Value, ModelToScore!, missing, Multiplicity));
                break;
        }
        return commands;
    }

    /// <summary>The pass in flight over <paramref name="shards"/> (any holder's: a worker taking over a lagging one's); null between passes.</summary>
    public ComputePass? PassCommand(IReadOnlyList<int> shards) => Stage switch
    {
        JobStage.Counting when CurrentPass is { } pass =>
            new ComputePass(Plan.JobId, pass.PassNumber, pass, [.. shards.Select(s => new ShardSlice(s, GlobalRowOffset(s)))]),
        JobStage.Training when CurrentPass is { } pass =>
            new ComputePass(Plan.JobId, pass.PassNumber, pass, [.. shards.Select(s => new ShardSlice(s, TrainingRowOffset(s)))], Plan.CountsRecords),
        _ => null,
    };

    /// <summary>The record counts for <paramref name="shards"/> (replicas too); null before they are counted.</summary>
    public UseRecordCounts? CountsCommand(IReadOnlyList<int> shards) =>
        RecordCountsBytes is { } counts ? new UseRecordCounts(Plan.JobId, counts, [.. shards.Select(s => new ShardSlice(s, GlobalRowOffset(s)))]) : null;

    /// <summary>Index of the shard's first training row among all training rows: its rows' offset, or its first distinct record's.</summary>
    public long TrainingRowOffset(int shard) => Plan.CountsRecords ? DistinctOffsets[shard] : GlobalRowOffset(shard);

    public byte[]? ModelToScore => Plan.ScoreModelBytes;

    public CoordinatorState Apply(CoordinatorEvent e)
    {
        if (IsFinished && e is not JobFailed) return this;
        return e switch
        {
            WorkerJoined j => Workers.Contains(j.WorkerId) ? this : this with
            {
                Workers = Workers.Add(j.WorkerId), JoinedWorkers = JoinedWorkers.Contains(j.WorkerId) ? JoinedWorkers : JoinedWorkers.Add(j.WorkerId),
                WorkerCores = WorkerCores.SetItem(j.WorkerId, Math.Max(1, j.Cores)),
            },
            WorkerLost l => OnWorkerLost(l),
            ShardsPlaced p => OnPlaced(p),
            ShardLoadConfirmed s => OnLoaded(s),
            ShardResultAccepted r => AcceptsPassResult(r.PassNumber, r.Shard)
                ? this with { PendingResults = PendingResults.Add(r.Shard, r.Result) } : this,
            PassCompleted p => OnPassCompleted(p),
            RecordsCounted c => OnRecordsCounted(c),
            ShardScoresAccepted s => AcceptsScores(s.Scored.Shard) ? this with { Scored = Scored.Add(s.Scored.Shard, s.Scored) } : this,
            ThresholdChosen t => Stage == JobStage.Scoring || Stage == JobStage.Loading
                ? this with { Threshold = t.Threshold, Stage = JobStage.Collecting } : this,
            ShardAnomaliesAccepted a => OnAnomalies(a),
            JobFailed f => this with { Stage = JobStage.Failed, Error = f.Error },
            _ => throw new ArgumentException($"Unknown event {e.GetType().Name}", nameof(e)),
        };
    }

    private CoordinatorState OnWorkerLost(WorkerLost lost)
    {
        if (!Workers.Contains(lost.WorkerId)) return this;
        var survivors = Workers.Remove(lost.WorkerId);
        // With nobody left the shards stay orphaned (owned by the lost worker) until a worker joins: the job waits.
        if (Owners.IsDefaultOrEmpty || survivors.IsEmpty) return this with { Workers = survivors, WorkersLost = WorkersLost + 1 };
        var owners = PlacementExtensions.Reassign(Owners, Plan.ShardRowsHint, lost.WorkerId, survivors, CoresOf);
        return this with { Workers = survivors, Owners = [.. owners], WorkersLost = WorkersLost + 1 };
    }

    /// <summary>A member's cores (1 if unknown).</summary>
    public int CoresOf(string worker) => WorkerCores.GetValueOrDefault(worker, 1);

    /// <summary>True once shards have been placed (false in a new job and right after a resume from the journal).</summary>
    public bool IsPlaced => !Owners.IsDefaultOrEmpty;

    /// <summary>Shards whose owner is no longer a member (every worker was lost), in shard order.</summary>
    public IReadOnlyList<int> OrphanShards =>
        IsPlaced ? [.. Enumerable.Range(0, ShardCount).Where(s => !Workers.Contains(Owners[s]))] : [];

    private CoordinatorState OnPlaced(ShardsPlaced placed)
    {
        if (placed.Owners.Count != ShardCount)
            throw new ArgumentException($"Placement has {placed.Owners.Count} owners for {ShardCount} shards.", nameof(placed));
        // The first placement with members (a journal replay places before anyone has rejoined) fixes the start count.
        var next = this with { Owners = [.. placed.Owners], WorkersAtPlacement = WorkersAtPlacement == 0 ? Workers.Count : WorkersAtPlacement };
        return Stage == JobStage.Registering ? next with { Stage = JobStage.Loading } : next;
    }

    private CoordinatorState OnLoaded(ShardLoadConfirmed loaded)
    {
        if (Loaded.ContainsKey(loaded.Shard) || loaded.Shard < 0 || loaded.Shard >= ShardCount) return this;
        var next = this with { Loaded = Loaded.Add(loaded.Shard, (loaded.Rows, loaded.Cols)) };
        if (next.Loaded.Count < ShardCount || Stage is not (JobStage.Loading or JobStage.Registering)) return next;
        var cols = next.Loaded.Values.Select(v => v.Cols).Distinct().ToList();
        if (cols.Count != 1)
            return next with { Stage = JobStage.Failed, Error = $"Shards disagree on the feature count: {string.Join(", ", cols)}" };
        if (Plan.CountsRecords) return next with { Stage = JobStage.Counting, PendingResults = PendingResults.Clear() };
        if (!Plan.IsTraining) return next with { Stage = JobStage.Scoring };
        return next.StartCandidate(0);
    }

    private CoordinatorState OnRecordsCounted(RecordsCounted counted)
    {
        if (Stage != JobStage.Counting) return this;
        RecordCountsResult counts;
        try
        {
            counts = PassResult.FromBytes(counted.MergedBytes) as RecordCountsResult
                ?? throw new ArgumentException("the merged record counts are not record counts");
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return this with { Stage = JobStage.Failed, Error = $"record counts: {ex.Message}" };
        }
        if (counts.Rows != TotalRows)
            return this with { Stage = JobStage.Failed, Error = $"record counts cover {counts.Rows} rows, the shards hold {TotalRows}" };
        // A shard's distinct records are the representatives (first occurrences) inside its global row range.
        var firsts = (long[])counts.FirstRows.Clone();
        Array.Sort(firsts);
        var offsets = new long[ShardCount];
        for (var s = 0; s < ShardCount; s++)
        {
            var start = Array.BinarySearch(firsts, GlobalRowOffset(s));
            offsets[s] = start >= 0 ? start : ~start;
        }
        var next = this with
        {
            RecordCounts = counts, RecordCountsBytes = counted.MergedBytes, DistinctOffsets = [.. offsets],
            PendingResults = PendingResults.Clear(),
        };
        return Plan.IsTraining ? next.StartCandidate(0) : next with { Stage = JobStage.Scoring };
    }

    private CoordinatorState StartCandidate(int index)
    {
        try
        {
            return this with
            {
                Stage = JobStage.Training, CandidateIndex = index,
                Training = EmTraining.Start(Plan.Candidates[index], TrainingRows),
                PendingResults = PendingResults.Clear(),
            };
        }
        catch (ArgumentException ex)
        {
            return this with { Stage = JobStage.Failed, Error = ex.Message };
        }
    }

    private CoordinatorState OnPassCompleted(PassCompleted completed)
    {
        if (Stage != JobStage.Training || Training?.NextPass?.PassNumber != completed.PassNumber) return this;
        EmTraining advanced;
        try
        {
            advanced = Training.Advance(PassResult.FromBytes(completed.MergedBytes));
        }
        catch (Exception ex) when (ex is ArithmeticException or ArgumentException or InvalidOperationException)
        {
            // e.g. NotPositiveDefiniteException: a clear, terminal modelling error (names the component, suggests reg_covar)
            return this with { Stage = JobStage.Failed, Error = ex.Message };
        }
        var next = this with { Training = advanced, PendingResults = PendingResults.Clear() };
        if (advanced.Result is not { } fit) return next;
        next = next with { Fits = Fits.Add(fit) };
        return CandidateIndex + 1 < Plan.Candidates.Count
            ? next.StartCandidate(CandidateIndex + 1)
            : next with { Stage = JobStage.Completed };
    }

    private CoordinatorState OnAnomalies(ShardAnomaliesAccepted accepted)
    {
        if (!AcceptsAnomalies(accepted.Collected.Shard)) return this;
        var next = this with { Anomalies = Anomalies.Add(accepted.Collected.Shard, accepted.Collected) };
        return next.Anomalies.Count == ShardCount ? next with { Stage = JobStage.Completed } : next;
    }
}
