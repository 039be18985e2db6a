using DistGmm.Numerics;

namespace DistGmm.Cluster;

// The whole coordinator <-> worker protocol, in one place. Commands are imperative (LoadShards, ComputePass, ...),
// replies are past-tense facts (ShardLoaded, ShardStatsComputed, ...). All are immutable records whose arrays are
// never mutated after construction, so they can cross threads locally or be serialised by a transport.
// Every job-scoped message carries the JobId so a worker serving several jobs (or a late reply from an earlier job)
// can never be confused. Every message crossing nodes is an IProtocolMessage: Akka binds that marker to our binary
// ProtocolSerializer (Hosting/distgmm.conf), so no protocol message ever falls back to Akka's JSON serializer.

/// <summary>Marker of the coordinator ↔ worker protocol: serialized by <see cref="Serialization.ProtocolSerializer"/>.</summary>
public interface IProtocolMessage;

/// <summary>Where a worker finds the data and how to turn it into features.</summary>
/// <param name="DatasetDir">The sharded dataset (manifest.json + shard-*.parquet).</param>
/// <param name="PreprocessorJson">The fitted preprocessor (<c>Preprocessor.ToJson()</c>).</param>
/// <param name="KeepLabels">When non-empty, only rows whose label is in this list are loaded (train-on-label).</param>
public sealed record DatasetRef(string DatasetDir, string PreprocessorJson, IReadOnlyList<string> KeepLabels);

/// <summary>A shard to compute and the global index of its first (kept) row: passes depend on global row indices.</summary>
public sealed record ShardSlice(int Shard, long GlobalRowOffset);

// ---- worker -> coordinator: membership ----

/// <summary>Sent by a worker when it starts and again after every restart (its loaded shards are gone then).</summary>
public sealed record WorkerReady(string WorkerId, int Cores) : IProtocolMessage;

// ---- loading ----

/// <summary>Load these shards (additive: shards already held are kept) and keep them for the job's lifetime.</summary>
public sealed record LoadShards(string JobId, DatasetRef Dataset, IReadOnlyList<int> Shards) : IProtocolMessage;

public sealed record ShardLoaded(string JobId, string WorkerId, int Shard, long Rows, int Cols) : IProtocolMessage;

/// <summary>The shard cannot be read (bad file, wrong schema): a data error, fatal for the job, not retried.</summary>
public sealed record ShardLoadFailed(string JobId, string WorkerId, int Shard, string Error) : IProtocolMessage;

/// <summary>
/// Also hold these shards (another worker's: replicas), so this worker can take over their work when their owner lags
/// behind in a pass (<see cref="SkipShards"/>) or is lost. Loaded like <see cref="LoadShards"/>; answered by
/// <see cref="ReplicasHeld"/>. A replica that cannot be loaded is left out of the answer, never fatal: its owner holds it.
/// </summary>
public sealed record HoldReplicas(string JobId, DatasetRef Dataset, IReadOnlyList<int> Shards) : IProtocolMessage;

/// <summary>
/// The replicas the worker now holds. Its sender is the worker's skip channel: a child actor that a running computation
/// never blocks, where the coordinator sends <see cref="SkipShards"/>.
/// </summary>
public sealed record ReplicasHeld(string JobId, string WorkerId, IReadOnlyList<int> Shards) : IProtocolMessage;

/// <summary>
/// Another worker has taken these shards of the pass: skip each one not yet started (one already started is finished
/// and its result, a duplicate, ignored). Sent to the skip channel of the worker that owns them.
/// </summary>
public sealed record SkipShards(string JobId, int PassNumber, IReadOnlyList<int> Shards) : IProtocolMessage;

/// <summary>
/// Another worker has computed the shard's chunks from <paramref name="FirstChunk"/> on (a piece, see
/// <see cref="ComputePass.FirstChunk"/>): if none of them has started here, skip them and answer the chunks before as the
/// shard's front. Sent to the skip channel of the worker computing the shard.
/// </summary>
public sealed record SkipChunks(string JobId, int PassNumber, int Shard, int FirstChunk) : IProtocolMessage;

/// <summary>Forget the job's shards and scores (end of job).</summary>
public sealed record ReleaseJob(string JobId) : IProtocolMessage;

// ---- training ----

/// <summary>Compute <paramref name="Pass"/> over each listed shard and reply once per shard.</summary>
/// <param name="OnDistinctRecords">Compute over the shard's distinct records (their first occurrences, from
/// <see cref="UseRecordCounts"/>; slice offsets then count distinct records) instead of all its rows.</param>
/// <param name="FirstChunk">Above 0: a piece of a lagging worker's running shard: compute its chunks from the last one
/// down to this one, replying once per chunk, until told to skip the shard (<see cref="SkipShards"/>). The owner stops
/// where the piece has reached (<see cref="SkipChunks"/>).</param>
public sealed record ComputePass(string JobId, int PassNumber, DataPass Pass, IReadOnlyList<ShardSlice> Shards, bool OnDistinctRecords = false,
    int FirstChunk = 0) : IProtocolMessage;

/// <summary>
/// One shard's partial result (<c>PassResult.ToBytes()</c>, little-endian binary). <paramref name="WorkerSeconds"/>: how
/// long after the worker took up the pass's command this result was ready (what the coordinator's pass timing reads;
/// never part of the model).
/// </summary>
/// <param name="ChunkCount">0: the whole shard. Otherwise a split shard's chunks [<paramref name="FirstChunk"/>,
/// +<paramref name="ChunkCount"/>) of its <paramref name="ShardChunks"/>, their parts merged left to right: the owner's
/// front, or one given chunk. The coordinator merges them in chunk order into the shard's result.</param>
public sealed record ShardStatsComputed(string JobId, int PassNumber, int Shard, byte[] ResultBytes, double WorkerSeconds = 0,
    int FirstChunk = 0, int ChunkCount = 0, int ShardChunks = 0) : IProtocolMessage
{
    public bool IsWhole => ChunkCount == 0;
}

// ---- record counts (the records scoring) ----

/// <summary>
/// The job's record counts, merged over every shard in shard order (<c>RecordCountsResult.ToBytes()</c>). The worker
/// keeps, per listed shard, the rows that are their record's first occurrence (fitting) and every row's multiplicity
/// (scoring). Sent once per job to each worker, again to one that restarted or inherited shards; before any later work.
/// </summary>
/// <param name="Shards">The worker's shards, each with the global index of its first row among <em>all</em> rows.</param>
public sealed record UseRecordCounts(string JobId, byte[] CountsBytes, IReadOnlyList<ShardSlice> Shards) : IProtocolMessage;

// ---- scoring ----

/// <summary>Score every row of each listed shard (log-likelihood = scikit-learn score_samples) and keep the scores.</summary>
/// <param name="Multiplicity">The records scoring: each row's score is log p(x) + log P(m), m its record's multiplicity
/// (from <see cref="UseRecordCounts"/>); null: the rows scoring, log p(x).</param>
public sealed record ScoreShards(string JobId, byte[] ModelBytes, IReadOnlyList<int> Shards, MultiplicityModel? Multiplicity = null) : IProtocolMessage;

/// <summary>A shard's scores (row order) and their moments for the global mean/std (Chan merge in shard order).</summary>
public sealed record ShardScored(string JobId, int Shard, ScoreMoments Moments, long[] RowIds, double[] Scores, string?[]? Labels) : IProtocolMessage;

/// <summary>Return the rows of each listed shard whose score is below <paramref name="Threshold"/>, with raw values.</summary>
/// <remarks>Carries the model so a worker that restarted (and lost its scores) can rescore.</remarks>
public sealed record CollectAnomalies(string JobId, double Threshold, byte[] ModelBytes, IReadOnlyList<int> Shards,
    MultiplicityModel? Multiplicity = null) : IProtocolMessage;

/// <param name="NumericColumns">Names of <see cref="AnomalyRow.Numbers"/>, in order.</param>
/// <param name="TextColumns">Names of <see cref="AnomalyRow.Texts"/>, in order (the label is separate).</param>
public sealed record AnomaliesCollected(string JobId, int Shard, IReadOnlyList<string> NumericColumns,
    IReadOnlyList<string> TextColumns, IReadOnlyList<AnomalyRow> Rows) : IProtocolMessage;

/// <summary>An anomalous row: its id, score, label (if any), raw (un-preprocessed) values, and how many rows of the
/// scored data share its values (1 in the rows scoring, which does not count).</summary>
public sealed record AnomalyRow(long RowId, double Score, string? Label, double[] Numbers, string?[] Texts, long Multiplicity = 1);

/// <summary>A worker could not do what was asked for a reason that is not a crash (e.g. scores missing after restart).</summary>
public sealed record WorkFailed(string JobId, string WorkerId, string Error) : IProtocolMessage;

// ---- membership (cluster mode) ----

/// <summary>
/// The coordinator saw a worker-role member come up (Akka cluster <c>MemberUp</c>) and asks the worker actor on that
/// node to introduce itself: the worker answers with <see cref="WorkerReady"/>, and remembers who asked so that it
/// announces itself to the same coordinator again after a restart.
/// </summary>
public sealed record IdentifyWorker(string CoordinatorNode) : IProtocolMessage;

/// <summary>Fault injection (<c>--chaos kill:…</c>): the worker process ends at once, as with SIGKILL.</summary>
public sealed record ChaosKill(string Reason) : IProtocolMessage;
