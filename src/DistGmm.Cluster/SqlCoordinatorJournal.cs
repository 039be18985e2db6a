using DistGmm.Persistence;

namespace DistGmm.Cluster;

/// <summary>
/// The coordinator's journal in SQL (<see cref="IJournal"/>: SQLite embedded, PostgreSQL for clusters): one stream per
/// job id, events numbered without gaps. Appends name the sequence number they expect, so a second writer on the same
/// job fails with <see cref="JournalConflictException"/> instead of interleaving (no split brain, even if the ownership
/// claim were bypassed). Calls block: the coordinator actor journals an event before applying it, as
/// Akka.Persistence's persist does, and its events are few and small.
/// </summary>
public sealed class SqlCoordinatorJournal(IJournal journal) : ICoordinatorJournal
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);

    public void Append(string jobId, CoordinatorEvent journaledEvent)
    {
        var (type, payload) = CoordinatorEventCodec.Encode(journaledEvent);
        lock (_gate)
        {
            if (!_highest.TryGetValue(jobId, out var expected))
                expected = journal.HighestSequenceNrAsync(jobId).GetAwaiter().GetResult();
            _highest[jobId] = journal.AppendAsync(jobId, expected, [new NewEvent(type, payload)]).GetAwaiter().GetResult();
        }
    }

    public IReadOnlyList<CoordinatorEvent> Read(string jobId)
    {
        var events = new List<CoordinatorEvent>();
        long last = 0;
        foreach (var e in journal.ReplayAsync(jobId).ToBlockingEnumerable())
        {
            events.Add(CoordinatorEventCodec.Decode(e.EventType, e.Payload));
            last = e.SequenceNr;
        }
        lock (_gate) _highest[jobId] = last;
        return events;
    }
}
