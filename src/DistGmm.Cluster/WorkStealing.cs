using Akka.Actor;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>
/// Who computes what in the pass in flight, for taking work from lagging workers (the coordinator's side; runtime
/// only, never journaled: it changes who computes a shard, never its result). A worker that has finished its shards
/// takes the last not-yet-started shard of the worker with the most left, among the shards it holds (its own or
/// replicas). Owners compute their list front to back, so the back is what they reach last.
/// </summary>
public sealed class ShardStealing
{
    private int? _pass;
    private readonly Dictionary<string, List<int>> _sent = new(StringComparer.Ordinal); // each worker's shards this pass, in order
    private readonly Dictionary<int, string> _takenBy = [];                              // taken shard → the worker computing it

    /// <summary>A ComputePass for <paramref name="shards"/> went to <paramref name="worker"/> (a new pass number starts afresh).</summary>
    public void Dispatched(int passNumber, string worker, IEnumerable<int> shards)
    {
        if (_pass != passNumber)
        {
            _pass = passNumber;
            _sent.Clear();
            _takenBy.Clear();
        }
        if (!_sent.TryGetValue(worker, out var list)) _sent[worker] = list = [];
        foreach (var shard in shards)
            if (!list.Contains(shard)) list.Add(shard);
    }

    /// <summary>
    /// The shard <paramref name="thief"/> should take now, and from whom; null when it still has work of its own or
    /// nothing can be taken. <paramref name="started"/>: how many of a worker's open shards to presume started (its
    /// cores; 0 for one that is unreachable, whose running shard is then taken as well).
    /// </summary>
    public (string Victim, int Shard)? Steal(int passNumber, string thief, Func<int, bool> done, Func<string, int> started,
        Func<string, int, bool> holds)
    {
        if (_pass != passNumber || Open(thief, done).Any()) return null;
        (string Victim, int Shard, int Open)? best = null;
        foreach (var victim in _sent.Keys.Order(StringComparer.Ordinal))
        {
            if (victim == thief) continue;
            var open = Open(victim, done).ToList();
            var takeable = open.Skip(Math.Max(0, started(victim))).Where(s => holds(thief, s)).ToList();
            if (takeable.Count > 0 && (best is null || open.Count > best.Value.Open)) best = (victim, takeable[^1], open.Count);
        }
        if (best is not { } b) return null;
        _takenBy[b.Shard] = thief;
        return (b.Victim, b.Shard);
    }

    /// <summary>
    /// Forgets <paramref name="worker"/> (lost or restarted); returns the shards it had taken from others and not
    /// finished: their owners must compute them after all.
    /// </summary>
    public IReadOnlyList<int> Forget(string worker, Func<int, bool> done)
    {
        _sent.Remove(worker);
        var orphaned = _takenBy.Where(t => t.Value == worker).Select(t => t.Key).Order().ToList();
        foreach (var shard in orphaned) _takenBy.Remove(shard);
        return [.. orphaned.Where(s => !done(s))];
    }

    /// <summary>A worker's shards of this pass not yet done: its own not taken by others, then those it took.</summary>
    private IEnumerable<int> Open(string worker, Func<int, bool> done)
    {
        if (_sent.TryGetValue(worker, out var list))
            foreach (var shard in list)
                if (!done(shard) && (!_takenBy.TryGetValue(shard, out var taker) || taker == worker)) yield return shard;
        foreach (var (shard, taker) in _takenBy)
            if (taker == worker && !done(shard) && !(list?.Contains(shard) ?? false)) yield return shard;
    }
}

/// <summary>
/// The worker's side: which shards of a pass it was told to skip (<see cref="SkipShards"/>) and which it has started.
/// Shared by the computing thread and the skip channel; a shard is either started or skipped, decided once.
/// </summary>
public sealed class SkipBook
{
    private readonly object _gate = new();
    private readonly HashSet<(string Job, int Pass, int Shard)> _skip = [];
    private readonly HashSet<(string Job, int Pass, int Shard)> _started = [];

    /// <summary>A pass begins: what is kept for the job's other passes is dropped (one pass is in flight at a time).</summary>
    public void Begin(string jobId, int passNumber)
    {
        lock (_gate)
        {
            _skip.RemoveWhere(k => k.Job == jobId && k.Pass != passNumber);
            _started.RemoveWhere(k => k.Job == jobId && k.Pass != passNumber);
        }
    }

    /// <summary>True: compute the shard (now marked started); false: another worker took it (the mark is used up).</summary>
    public bool TryStart(string jobId, int passNumber, int shard)
    {
        lock (_gate)
        {
            if (_skip.Remove((jobId, passNumber, shard))) return false;
            _started.Add((jobId, passNumber, shard));
            return true;
        }
    }

    public void Skip(SkipShards command)
    {
        lock (_gate)
            foreach (var shard in command.Shards)
                if (!_started.Contains((command.JobId, command.PassNumber, shard))) _skip.Add((command.JobId, command.PassNumber, shard));
    }

    public void Forget(string jobId)
    {
        lock (_gate)
        {
            _skip.RemoveWhere(k => k.Job == jobId);
            _started.RemoveWhere(k => k.Job == jobId);
        }
    }
}

/// <summary>A worker's child on the default dispatcher: takes <see cref="SkipShards"/> while the worker's own thread computes.</summary>
public sealed class SkipChannel : ReceiveActor
{
    public SkipChannel(SkipBook book) => Receive<SkipShards>(book.Skip);
}

/// <summary>A shard's pass work that may be skipped: whether it runs is decided once, when its first chunk is taken.</summary>
internal sealed class SkippableWork(ChunkedWork<PassResult> inner, Func<bool> tryStart) : ChunkedWork<PassResult>
{
    private const int Undecided = 0, Running = 1, Skip = 2;
    private readonly object _gate = new();
    private int _state;

    public bool Skipped => Volatile.Read(ref _state) == Skip;

    public override int Chunks => inner.Chunks;

    public override void RunChunk(int chunk)
    {
        if (Decide() == Running) inner.RunChunk(chunk);
    }

    public override PassResult Result() => Skipped ? throw new InvalidOperationException("A skipped shard has no result.") : inner.Result();

    private int Decide()
    {
        var state = Volatile.Read(ref _state);
        if (state != Undecided) return state;
        lock (_gate)
        {
            if (_state == Undecided) Volatile.Write(ref _state, tryStart() ? Running : Skip);
            return _state;
        }
    }
}
