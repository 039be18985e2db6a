using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>
/// Everything that changes the coordinator's state. <see cref="CoordinatorState.Apply"/> is the only way state changes,
/// live and on journal replay. Events marked <see cref="IJournaledEvent"/> are persisted (small, binary, enough to
/// rebuild the model); the others are bulky per-shard data or live membership, recomputed after a restart.
/// </summary>
public abstract record CoordinatorEvent;

/// <summary>
/// Marker: the event is persisted by the coordinator's persistent actor (Akka.Persistence, binary through
/// <see cref="Serialization.ProtocolSerializer"/>) and replayed through <see cref="CoordinatorState.Apply"/> on recovery.
/// </summary>
public interface IJournaledEvent;

/// <param name="Cores">The cores it computes on: placement gives it rows in proportion.</param>
public sealed record WorkerJoined(string WorkerId, int Cores = 1) : CoordinatorEvent;

public sealed record WorkerLost(string WorkerId, string Reason) : CoordinatorEvent;

/// <summary>The owner worker id of each shard, by shard index.</summary>
public sealed record ShardsPlaced(IReadOnlyList<string> Owners) : CoordinatorEvent;

/// <summary>A shard was loaded; <paramref name="Rows"/> counts the rows kept (after any label filter).</summary>
public sealed record ShardLoadConfirmed(int Shard, long Rows, int Cols) : CoordinatorEvent, IJournaledEvent;

public sealed record ShardResultAccepted(int PassNumber, int Shard, PassResult Result) : CoordinatorEvent;

/// <summary>All shards of a pass are in; <paramref name="MergedBytes"/> is their shard-order merge (PassResult.ToBytes()).</summary>
public sealed record PassCompleted(int PassNumber, byte[] MergedBytes) : CoordinatorEvent, IJournaledEvent;

/// <summary>
/// Every shard's record counts are in (the records scoring); <paramref name="MergedBytes"/> is their shard-order merge
/// (<c>RecordCountsResult.ToBytes()</c>).
/// </summary>
public sealed record RecordsCounted(byte[] MergedBytes) : CoordinatorEvent, IJournaledEvent;

public sealed record ShardScoresAccepted(ShardScored Scored) : CoordinatorEvent;

public sealed record ThresholdChosen(double Threshold) : CoordinatorEvent, IJournaledEvent;

public sealed record ShardAnomaliesAccepted(AnomaliesCollected Collected) : CoordinatorEvent;

public sealed record JobFailed(string Error) : CoordinatorEvent, IJournaledEvent;
