namespace DistGmm.Persistence;

/// <summary>Base of the journal's own errors.</summary>
public class JournalException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// An append found a different highest sequence number than the writer expected: another writer got there
/// first (or the writer's view is stale). The writer must stop; it is not the single owner of the stream.
/// </summary>
public sealed class JournalConflictException(string persistenceId, long expectedSequenceNr, long actualSequenceNr, Exception? inner = null)
    : JournalException(
        $"journal conflict for '{persistenceId}': expected highest sequence number {expectedSequenceNr}, " +
        $"found {actualSequenceNr} (a concurrent writer appended to the same stream)", inner)
{
    public string PersistenceId { get; } = persistenceId;
    public long ExpectedSequenceNr { get; } = expectedSequenceNr;
    public long ActualSequenceNr { get; } = actualSequenceNr;
}

/// <summary>A second owner tried to claim a job that a live owner holds.</summary>
public sealed class JobAlreadyOwnedException(string persistenceId, JobOwnerInfo? currentOwner)
    : JournalException(
        $"job already owned: '{persistenceId}' is held by " +
        (currentOwner is null
            ? "another process"
            : $"'{currentOwner.OwnerId}' (host {currentOwner.Host}, pid {currentOwner.ProcessId}, since {currentOwner.ClaimedAt:O})"))
{
    public string PersistenceId { get; } = persistenceId;
    public JobOwnerInfo? CurrentOwner { get; } = currentOwner;
}
