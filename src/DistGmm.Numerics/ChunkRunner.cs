using System.Runtime.ExceptionServices;

namespace DistGmm.Numerics;

/// <summary>Runs every chunk of some <see cref="ChunkedWork"/>s and returns when all are done (rethrowing the first failure).</summary>
public abstract class ChunkRunner
{
    /// <param name="onDone">
    /// Called on the calling thread with each work's index, in work order, as soon as that work and those before it are
    /// done (a worker sends a shard's statistics while the next shards are still computing); not after a failure.
    /// </param>
    public abstract void Run(IReadOnlyList<ChunkedWork> works, Action<int>? onDone = null);

    public void Run(ChunkedWork work) => Run([work]);

    /// <summary>On the calling thread and up to <paramref name="maxDegreeOfParallelism"/> − 1 thread-pool threads (≤ 0: every core).</summary>
    public static ChunkRunner Parallel(int maxDegreeOfParallelism) => new ParallelChunkRunner(maxDegreeOfParallelism);

    private sealed class ParallelChunkRunner(int maxDegreeOfParallelism) : ChunkRunner
    {
        private readonly int _dop = maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism;

        public override void Run(IReadOnlyList<ChunkedWork> works, Action<int>? onDone = null)
        {
            var (total, first) = Flatten(works);
            if (_dop == 1 || total == 1)
            {
                for (var w = 0; w < works.Count; w++)
                {
                    for (var c = 0; c < works[w].Chunks; c++) works[w].RunChunk(c);
                    onDone?.Invoke(w);
                }
                return;
            }
            try
            {
                System.Threading.Tasks.Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = _dop }, i =>
                {
                    var w = WorkOf(first, i);
                    works[w].RunChunk(i - first[w]);
                });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
            }
            if (onDone is not null)
                for (var w = 0; w < works.Count; w++) onDone(w);
        }
    }

    /// <summary>The total chunk count and each work's first index in the flattened order.</summary>
    private protected static (int Total, int[] First) Flatten(IReadOnlyList<ChunkedWork> works)
    {
        var first = new int[works.Count];
        var total = 0;
        for (var w = 0; w < works.Count; w++)
        {
            first[w] = total;
            total += works[w].Chunks;
        }
        return (total, first);
    }

    private protected static int WorkOf(int[] first, int index)
    {
        var w = Array.BinarySearch(first, index);
        if (w < 0) return ~w - 1;
        while (w + 1 < first.Length && first[w + 1] == index) w++; // skip works with no chunks (none today)
        return w;
    }
}

/// <summary>
/// A node's cores as a fixed set of compute threads shared by every worker of the node: chunks are taken first come,
/// first served across all the works submitted, so a core that has finished its worker's chunks takes the other
/// worker's instead of waiting (per-pass imbalance between workers costs the whole node otherwise). The threads that
/// submit only wait. Results do not change: each chunk's part and the merge order are fixed by the data.
/// </summary>
public sealed class ChunkPool : ChunkRunner, IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Batch> _pending = new(); // batches with chunks not yet taken, oldest first
    private readonly Thread[] _threads;
    private bool _disposed;

    public ChunkPool(int threads, string name = "distgmm-compute")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            _threads[t] = new Thread(Loop) { IsBackground = true, Name = $"{name}-{t}" };
            _threads[t].Start();
        }
    }

    public int Threads => _threads.Length;

    public override void Run(IReadOnlyList<ChunkedWork> works, Action<int>? onDone = null)
    {
        var batch = new Batch(works);
        if (batch.Total == 0) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending.Enqueue(batch);
            Monitor.PulseAll(_gate);
        }
        for (var w = 0; w < works.Count; w++)
        {
            batch.WaitFor(w);
            if (batch.Error is { } error)
            {
                // Every chunk ends (the rest are skipped) before the failure is rethrown: nothing writes the parts after.
                for (var v = w + 1; v < works.Count; v++) batch.WaitFor(v);
                error.Throw();
            }
            onDone?.Invoke(w);
        }
    }

    private void Loop()
    {
        while (true)
        {
            Batch batch;
            int index;
            lock (_gate)
            {
                while (_pending.Count == 0)
                {
                    if (_disposed) return;
                    Monitor.Wait(_gate);
                }
                batch = _pending.Peek();
                index = batch.Next++;
                if (batch.Next == batch.Total) _pending.Dequeue();
            }
            batch.RunChunk(index);
        }
    }

    /// <summary>Stops the threads once the chunks already submitted have run.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private sealed class Batch
    {
        private readonly IReadOnlyList<ChunkedWork> _works;
        private readonly int[] _first;
        private readonly int[] _remaining; // per work: chunks not yet ended (guarded by _ended)
        private readonly object _ended = new();
        private volatile ExceptionDispatchInfo? _error;

        public Batch(IReadOnlyList<ChunkedWork> works)
        {
            _works = works;
            (Total, _first) = Flatten(works);
            _remaining = works.Select(w => w.Chunks).ToArray();
        }

        public int Total { get; }
        public int Next; // guarded by the pool's lock
        public ExceptionDispatchInfo? Error => _error;

        /// <summary>Blocks (no spinning: the waiter shares the cores with the threads it waits for) until work <paramref name="w"/> has ended.</summary>
        public void WaitFor(int w)
        {
            lock (_ended)
                while (_remaining[w] > 0) Monitor.Wait(_ended);
        }

        public void RunChunk(int index)
        {
            var w = WorkOf(_first, index);
            try
            {
                // After a failure the rest is skipped: the waiter rethrows it and nobody reads the parts.
                if (_error is null) _works[w].RunChunk(index - _first[w]);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(ex), null);
            }
            lock (_ended)
                if (--_remaining[w] == 0) Monitor.PulseAll(_ended);
        }
    }
}
