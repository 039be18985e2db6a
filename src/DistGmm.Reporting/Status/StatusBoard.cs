namespace DistGmm.Reporting.Status;

/// <summary>
/// Holds the latest snapshot for the status server. The coordinator calls <see cref="Publish"/> from any thread;
/// readers always see a complete snapshot (a single reference swap, no locks on the read path).
/// </summary>
public sealed class StatusBoard
{
    private StatusSnapshot _current;
    private long _version;

    public StatusBoard(StatusSnapshot? initial = null) => _current = initial ?? StatusSnapshot.Empty;

    public StatusSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Incremented on every publish; the page uses it to skip redraws when nothing changed.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Publish(StatusSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _current, snapshot);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Applies a change to the current snapshot atomically, e.g. <c>s =&gt; s with { Iteration = 3 }</c>.</summary>
    public StatusSnapshot Update(Func<StatusSnapshot, StatusSnapshot> change)
    {
        while (true)
        {
            var before = Current;
            var after = change(before);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, after, before), before))
            {
                Interlocked.Increment(ref _version);
                return after;
            }
        }
    }
}
