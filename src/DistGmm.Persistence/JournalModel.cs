namespace DistGmm.Persistence;

/// <summary>An event to append; its sequence number is assigned by <see cref="IJournal.AppendAsync"/>.</summary>
public sealed record NewEvent(string EventType, ReadOnlyMemory<byte> Payload);

/// <summary>A stored event: one row keyed by (PersistenceId, SequenceNr).</summary>
public sealed record JournalEvent(
    string PersistenceId, long SequenceNr, string EventType, byte[] Payload, DateTimeOffset Timestamp);

/// <summary>A stored snapshot of state as of <see cref="SequenceNr"/> (events after it must be replayed on top).</summary>
public sealed record SnapshotRecord(
    string PersistenceId, long SequenceNr, string SnapshotType, byte[] Payload, DateTimeOffset Timestamp);

/// <summary>Who holds a job: written to the owners table when a claim succeeds (informational; the lock is the guard).</summary>
public sealed record JobOwnerInfo(string PersistenceId, string OwnerId, string Host, int ProcessId, DateTimeOffset ClaimedAt);
