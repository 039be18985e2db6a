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
    /// The shard to cut for <paramref name="thief"/> when it has nothing open and nothing can be taken whole: of the
    /// worker with the most left, the last of the shards it is presumed to be computing (<paramref name="started"/>: 0 for
    /// an unreachable one, which is not asked) that the thief holds and that is not <paramref name="cut"/> already.
    /// </summary>
    public (string Victim, int Shard)? SplitCandidate(int passNumber, string thief, Func<int, bool> done, Func<string, int> started,
        Func<string, int, bool> holds, Func<int, bool> cut)
    {
        if (_pass != passNumber || Open(thief, done).Any()) return null;
        (string Victim, int Shard, int Open)? best = null;
        foreach (var victim in _sent.Keys.Order(StringComparer.Ordinal))
        {
            if (victim == thief) continue;
            var open = Open(victim, done).ToList();
            var running = open.Take(Math.Max(0, started(victim))).Where(s => holds(thief, s) && !cut(s)).ToList();
            if (running.Count > 0 && (best is null || open.Count > best.Value.Open)) best = (victim, running[^1], open.Count);
        }
        return best is { } b ? (b.Victim, b.Shard) : null;
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
    public IReadOnlyList<int> OpenShards(int passNumber, string worker, Func<int, bool> done) => _pass == passNumber ? [.. Open(worker, done)] : [];

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
/// Shards shared by chunks in the pass in flight (the coordinator's side; runtime only, like <see cref="ShardStealing"/>).
/// When a worker is done and the lagging one has no unstarted shard left to take, the idle one is sent the shard the
/// laggard is computing as a piece: it computes the chunks from the last one down, and as each arrives the laggard is
/// told to skip the chunks from there on (<see cref="SkipChunks"/>) — they meet in between without knowing each other's
/// pace. The laggard answers its front as one result, the piece each chunk alone; merged left to right in chunk order
/// they are the shard's result bit for bit, as chunks merge inside a worker.
/// </summary>
public sealed class ShardSplits
{
    private int? _pass;
    // Each worker's pace: when its first command of the pass went out, when its last whole result came, the rows its
    // whole results of the pass covered; and its seconds per row as last measured (its rate before its first result).
    private readonly Dictionary<string, (double Since, double LastAt, long Rows)> _pace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _secondsPerRow = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string Taker, string Owner)> _pieces = [];     // shard → who computes its piece, and its front
    private readonly Dictionary<int, (int Count, PassResult Part)> _fronts = [];     // shard → the front's chunk count and part
    private readonly Dictionary<int, Dictionary<int, PassResult>> _singles = [];    // shard → chunk → its part, from the piece

    /// <summary>The pass's first command went to <paramref name="worker"/> at <paramref name="at"/> (seconds, any fixed origin).</summary>
    public void Sent(int passNumber, string worker, double at)
    {
        Begin(passNumber);
        _pace.TryAdd(worker, (at, at, 0));
    }

    /// <summary>A whole result of <paramref name="rows"/> rows came from <paramref name="worker"/> at <paramref name="at"/>.</summary>
    public void Done(int passNumber, string worker, long rows, double at)
    {
        if (_pass != passNumber || !_pace.TryGetValue(worker, out var pace)) return;
        _pace[worker] = pace = (pace.Since, at, pace.Rows + rows);
        if (pace.Rows > 0 && at > pace.Since) _secondsPerRow[worker] = (at - pace.Since) / pace.Rows;
    }

    /// <summary>
    /// The first chunk of <paramref name="owner"/>'s running shard (<paramref name="shardRows"/> rows) that
    /// <paramref name="taker"/> should compute, from the last one down, so that each of its chunks reaches the owner
    /// (<paramref name="latency"/> seconds each way) before the owner starts it; null when fewer than two chunks would:
    /// the owner is nearly done, or a pace is not known yet. Where the owner is follows from its pace: the rows of its
    /// open shards (<paramref name="openRows"/>, all running) less those its rate has covered since its last result.
    /// A piece of one chunk is not worth it: it gains at most that chunk, and a piece told to stop finishes the chunk it
    /// is on, which can hold the taker's next pass back by as much.
    /// </summary>
    public int? PieceStart(int passNumber, string owner, int ownerCores, long openRows, long shardRows, string taker, int takerCores,
        double now, double latency)
    {
        var chunks = PartitionCompute.Chunks(shardRows);
        if (_pass != passNumber || chunks < 2 || !_pace.TryGetValue(owner, out var pace)
            || !_secondsPerRow.TryGetValue(owner, out var ownerRate) || !_secondsPerRow.TryGetValue(taker, out var takerRate)) return null;
        // Seconds a row takes on one core: a worker's rate is over all its cores; a running shard, like a piece, has one.
        double ownerRow = ownerRate * Math.Max(1, ownerCores), takerRow = takerRate * Math.Max(1, takerCores);
        double left = Math.Clamp((openRows - (now - pace.LastAt) / ownerRate) / Math.Max(1, ownerCores), 0, shardRows);
        double at = shardRows - left; // rows of its running shard the owner has done
        // Chunk F's part reaches the owner at 2·latency + (rows from F on)·taker's row; the owner starts F at (F·rows − at)·its row.
        const int rows = SufficientStatistics.ChunkRows;
        var first = (int)Math.Ceiling((2 * latency + shardRows * takerRow + at * ownerRow) / (rows * (takerRow + ownerRow)));
        return first >= 1 && first <= chunks - 2 ? first : null;
    }

    /// <summary>Whether <paramref name="worker"/> is computing a piece of the pass.</summary>
    public bool IsBusy(int passNumber, string worker) => _pass == passNumber && _pieces.Values.Any(p => p.Taker == worker);

    /// <summary>Whether the shard is shared in this pass (once per shard and pass).</summary>
    public bool Involves(int passNumber, int shard) => _pass == passNumber && _pieces.ContainsKey(shard);

    /// <summary>A piece of <paramref name="owner"/>'s running <paramref name="shard"/> went to <paramref name="taker"/>.</summary>
    public void Given(int passNumber, int shard, string taker, string owner)
    {
        Begin(passNumber);
        _pieces[shard] = (taker, owner);
    }

    /// <summary>The worker computing the shard's front, for <see cref="SkipChunks"/>; null when the shard has no piece out.</summary>
    public string? OwnerOf(int passNumber, int shard) => _pass == passNumber && _pieces.TryGetValue(shard, out var p) ? p.Owner : null;

    /// <summary>
    /// Adds a part of a shared shard: a front (chunks [0, <paramref name="count"/>)) or a single chunk. Returns the shard's
    /// result once the front and every chunk after it are in, merged left to right in chunk order.
    /// </summary>
    public PassResult? Add(int passNumber, int shard, int firstChunk, int count, int shardChunks, PassResult part)
    {
        Begin(passNumber);
        if (firstChunk == 0) _fronts[shard] = (count, part);
        else
        {
            if (!_singles.TryGetValue(shard, out var singles)) _singles[shard] = singles = [];
            singles[firstChunk] = part;
        }
        if (!_fronts.TryGetValue(shard, out var front)) return null;
        var merged = front.Part;
        for (var c = front.Count; c < shardChunks; c++)
        {
            if (_singles.GetValueOrDefault(shard)?.GetValueOrDefault(c) is not { } single) return null;
            merged = merged.Merge(single);
        }
        return merged;
    }

    /// <summary>
    /// The shard's result is in (whole or merged): forgets its parts; returns the worker still computing its piece, to
    /// be told to stop, if any.
    /// </summary>
    public string? Completed(int passNumber, int shard)
    {
        if (_pass != passNumber) return null;
        _fronts.Remove(shard);
        _singles.Remove(shard);
        return _pieces.Remove(shard, out var p) ? p.Taker : null;
    }

    /// <summary>
    /// Forgets <paramref name="worker"/> (lost or restarted) as a taker: its chunks already in stay (the owner skips only
    /// chunks that are in), so nothing needs giving back.
    /// </summary>
    public void Forget(string worker)
    {
        foreach (var shard in _pieces.Where(p => p.Value.Taker == worker).Select(p => p.Key).ToList()) _pieces.Remove(shard);
    }

    private void Begin(int passNumber)
    {
        if (_pass == passNumber) return;
        _pass = passNumber;
        _pace.Clear();
        _pieces.Clear();
        _fronts.Clear();
        _singles.Clear();
    }
}

/// <summary>
/// The worker's side: which shards of a pass it was told to skip (<see cref="SkipShards"/>), which it has started, and
/// the works of the pass in flight, whose backs another worker may compute (<see cref="SkipChunks"/>). Shared by the
/// computing thread and the skip channel; a shard is either started or skipped, decided once.
/// </summary>
public sealed class SkipBook
{
    private readonly object _gate = new();
    private readonly HashSet<(string Job, int Pass, int Shard)> _skip = [];
    private readonly HashSet<(string Job, int Pass, int Shard)> _started = [];
    private readonly Dictionary<(string Job, int Pass, int Shard), SkippableWork> _works = [];
    private readonly Dictionary<(string Job, int Pass, int Shard), int> _chunkSkips = []; // SkipChunks before their work began here

    /// <summary>A pass begins: what is kept for the job's other passes is dropped (one pass is in flight at a time).</summary>
    public void Begin(string jobId, int passNumber)
    {
        lock (_gate)
        {
            _skip.RemoveWhere(k => k.Job == jobId && k.Pass != passNumber);
            _started.RemoveWhere(k => k.Job == jobId && k.Pass != passNumber);
            foreach (var key in _works.Keys.Where(k => k.Job == jobId && k.Pass != passNumber).ToList()) _works.Remove(key);
            foreach (var key in _chunkSkips.Keys.Where(k => k.Job == jobId && k.Pass != passNumber).ToList()) _chunkSkips.Remove(key);
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

    /// <summary>Whether the shard is marked skipped, without using the mark up: a piece stops at it.</summary>
    public bool IsSkipped(string jobId, int passNumber, int shard)
    {
        lock (_gate) return _skip.Contains((jobId, passNumber, shard));
    }

    /// <summary>The work computing <paramref name="shard"/> in this pass, for <see cref="SkipChunksOf"/>.</summary>
    internal void Track(string jobId, int passNumber, int shard, SkippableWork work)
    {
        lock (_gate)
        {
            _works[(jobId, passNumber, shard)] = work;
            if (_chunkSkips.Remove((jobId, passNumber, shard), out var first)) work.SkipFrom(first);
        }
    }

    /// <summary>Skips the back of the shard's work if it is in flight here (<see cref="SkippableWork.SkipFrom"/>).</summary>
    public void SkipChunksOf(SkipChunks command)
    {
        var key = (command.JobId, command.PassNumber, command.Shard);
        SkippableWork? work;
        lock (_gate)
        {
            // Kept for the work if it has not begun here yet (the owner may take up its command after the piece's chunk came).
            if (!_works.TryGetValue(key, out work) && command.FirstChunk >= 1) _chunkSkips[key] = Math.Min(command.FirstChunk, _chunkSkips.GetValueOrDefault(key, int.MaxValue));
        }
        work?.SkipFrom(command.FirstChunk);
    }

    public void Forget(string jobId)
    {
        lock (_gate)
        {
            _skip.RemoveWhere(k => k.Job == jobId);
            _started.RemoveWhere(k => k.Job == jobId);
            foreach (var key in _works.Keys.Where(k => k.Job == jobId).ToList()) _works.Remove(key);
            foreach (var key in _chunkSkips.Keys.Where(k => k.Job == jobId).ToList()) _chunkSkips.Remove(key);
        }
    }
}

/// <summary>
/// A worker's child on the default dispatcher: takes <see cref="SkipShards"/> and <see cref="SkipChunks"/> while the
/// worker's own thread computes.
/// </summary>
public sealed class SkipChannel : ReceiveActor
{
    public SkipChannel(SkipBook book)
    {
        Receive<SkipShards>(book.Skip);
        Receive<SkipChunks>(book.SkipChunksOf);
    }
}

/// <summary>
/// A shard's pass work that may be skipped — whether it runs is decided once, when its first chunk is taken — or cut:
/// <see cref="SkipFrom"/> leaves the back of its chunks to the worker that computed them, and <see cref="Result()"/> is
/// then the front's.
/// </summary>
internal sealed class SkippableWork(ChunkedWork<PassResult> inner, Func<bool> tryStart) : ChunkedWork<PassResult>
{
    private const int Undecided = 0, Running = 1, Skip = 2;
    private readonly object _gate = new();
    private readonly bool[] _started = new bool[inner.Chunks];
    private int _state;
    private int _firstGiven = inner.Chunks;

    public bool Skipped => Volatile.Read(ref _state) == Skip;

    /// <summary>The first chunk left to another worker (<see cref="Chunks"/>: none).</summary>
    public int FirstGiven
    {
        get { lock (_gate) return _firstGiven; }
    }

    public override int Chunks => inner.Chunks;

    public override void RunChunk(int chunk)
    {
        if (Decide() != Running) return;
        lock (_gate)
        {
            if (chunk >= _firstGiven) return;
            _started[chunk] = true;
        }
        inner.RunChunk(chunk);
    }

    /// <summary>
    /// Another worker has computed chunks [<paramref name="firstChunk"/>, Chunks): skip them if none has started here (a
    /// chunk already started is finished, and so are the ones after it). Never chunk 0: the front is never empty.
    /// </summary>
    public void SkipFrom(int firstChunk)
    {
        lock (_gate)
        {
            if (firstChunk < 1 || firstChunk >= _firstGiven || _state == Skip) return;
            for (var c = firstChunk; c < Chunks; c++)
                if (_started[c]) return;
            _firstGiven = firstChunk;
        }
    }

    public override PassResult Result() => Skipped ? throw new InvalidOperationException("A skipped shard has no result.") : inner.Result(0, FirstGiven);

    public override PassResult Result(int firstChunk, int count) => inner.Result(firstChunk, count);

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
