namespace DistGmm.Persistence;

/// <summary>
/// An append-only event journal with snapshots and single-owner claims (the Akka.Persistence.Sql role).
/// Streams are identified by a persistence id (one per job); events are numbered 1, 2, 3 … without gaps.
/// The schema is created on first use. Implementations are safe for concurrent use by several tasks.
/// </summary>
public interface IJournal : IAsyncDisposable
{
    /// <summary>The highest stored sequence number of the stream, 0 when it has no events.</summary>
    Task<long> HighestSequenceNrAsync(string persistenceId, CancellationToken ct = default);

    /// <summary>
    /// Appends <paramref name="events"/> atomically as expectedHighest+1, +2, …; returns the new highest sequence
    /// number. Throws <see cref="JournalConflictException"/> when the stream's highest number is not
    /// <paramref name="expectedHighestSequenceNr"/> (nothing is written then).
    /// </summary>
    Task<long> AppendAsync(string persistenceId, long expectedHighestSequenceNr, IReadOnlyList<NewEvent> events,
        CancellationToken ct = default);

    /// <summary>The stream's events with sequence number ≥ <paramref name="fromSequenceNr"/>, in order.</summary>
    IAsyncEnumerable<JournalEvent> ReplayAsync(string persistenceId, long fromSequenceNr = 1, CancellationToken ct = default);

    /// <summary>Stores (or replaces) the snapshot at <see cref="SnapshotRecord.SequenceNr"/>.</summary>
    Task SaveSnapshotAsync(SnapshotRecord snapshot, CancellationToken ct = default);

    /// <summary>The snapshot with the highest sequence number, or null.</summary>
    Task<SnapshotRecord?> LoadLatestSnapshotAsync(string persistenceId, CancellationToken ct = default);

    /// <summary>
    /// Claims exclusive ownership of a job: at most one live claim per persistence id exists at a time, across
    /// processes. A second claim fails with <see cref="JobAlreadyOwnedException"/> ("job already owned"). The
    /// claim lasts until the returned handle is disposed or the owning process dies (the lock is released by
    /// the operating system / the database server, so a SIGKILLed coordinator can be restarted at once).
    /// </summary>
    Task<IJobOwnership> ClaimOwnershipAsync(string persistenceId, string ownerId, CancellationToken ct = default);

    /// <summary>The last recorded owner of the job (live or not), or null.</summary>
    Task<JobOwnerInfo?> LastOwnerAsync(string persistenceId, CancellationToken ct = default);
}

/// <summary>A held ownership claim; disposing releases it.</summary>
public interface IJobOwnership : IAsyncDisposable
{
    JobOwnerInfo Owner { get; }

    /// <summary>True until released (on PostgreSQL also false once the lock's session is known to be lost).</summary>
    bool IsHeld { get; }

    /// <summary>
    /// Checks that the claim still holds now (PostgreSQL: a round trip on the lock's session, which fails if the server
    /// ended it). A coordinator calls this before journaling to make sure it has not silently lost the job.
    /// </summary>
    Task<bool> VerifyAsync(CancellationToken ct = default);
}
