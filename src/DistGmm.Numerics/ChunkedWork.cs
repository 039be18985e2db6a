using System.Collections.Concurrent;

namespace DistGmm.Numerics;

/// <summary>
/// One partition's computation cut into fixed chunks of rows, the unit of the reduction order: any thread may run any
/// chunk (with scratch of its own), and the result merges the chunks' parts in chunk order, so it does not depend on
/// which thread ran what, nor on how many there were. A <see cref="ChunkRunner"/> runs the chunks.
/// </summary>
public abstract class ChunkedWork
{
    public abstract int Chunks { get; }

    /// <summary>Runs chunk <paramref name="chunk"/> (thread-safe: chunks run concurrently, each exactly once).</summary>
    public abstract void RunChunk(int chunk);
}

/// <summary>A <see cref="ChunkedWork"/> with a result, read after a runner has run every chunk.</summary>
public abstract class ChunkedWork<TResult> : ChunkedWork
{
    public abstract TResult Result();

    /// <summary>
    /// The parts of chunks [<paramref name="firstChunk"/>, +<paramref name="count"/>) merged left to right, read after
    /// those chunks have run. A result cut into a prefix and single chunks merges, left to right, to the bits of
    /// <see cref="Result()"/>: what lets a chunk range of a partition be computed elsewhere.
    /// </summary>
    public abstract TResult Result(int firstChunk, int count);

    /// <summary>The same chunks, with <paramref name="map"/> applied to the result.</summary>
    public ChunkedWork<TOut> Select<TOut>(Func<TResult, TOut> map) => new Mapped<TOut>(this, map);

    private sealed class Mapped<TOut>(ChunkedWork<TResult> inner, Func<TResult, TOut> map) : ChunkedWork<TOut>
    {
        public override int Chunks => inner.Chunks;
        public override void RunChunk(int chunk) => inner.RunChunk(chunk);
        public override TOut Result() => map(inner.Result());
        public override TOut Result(int firstChunk, int count) => map(inner.Result(firstChunk, count));
    }
}

/// <summary>
/// Working memory for chunks (a kernel with its buffers), shared by every work of one pass: made by the first chunks
/// that run at once and handed on, never to two chunks at once. A bag keeps a list per thread, so a thread gets its own
/// back (still in its core's cache) across chunks and partitions: as many as ran concurrently, none per chunk after that.
/// </summary>
public sealed class ScratchPool<TScratch>(Func<TScratch> create) where TScratch : class
{
    private readonly ConcurrentBag<TScratch> _free = [];

    public TScratch Rent() => _free.TryTake(out var s) ? s : create();

    public void Return(TScratch scratch) => _free.Add(scratch);
}

/// <summary>Chunks whose parts merge, left to right in chunk order, into <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TScratch">Working memory of a chunk, from a <see cref="ScratchPool{TScratch}"/>: it must not carry anything from one chunk to the next.</typeparam>
public sealed class ChunkedComputation<TScratch, TResult> : ChunkedWork<TResult> where TScratch : class
{
    private readonly ScratchPool<TScratch> _scratch;
    private readonly Func<TScratch, int, TResult> _runChunk;
    private readonly Func<TResult, TResult, TResult> _merge;
    private readonly TResult[] _parts;

    /// <param name="chunks">At least 1 (an empty partition is one chunk that produces the empty result).</param>
    public ChunkedComputation(int chunks, ScratchPool<TScratch> scratch, Func<TScratch, int, TResult> runChunk, Func<TResult, TResult, TResult> merge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        _scratch = scratch;
        _runChunk = runChunk;
        _merge = merge;
        _parts = new TResult[chunks];
    }

    /// <summary>With scratch of its own.</summary>
    public ChunkedComputation(int chunks, Func<TScratch> newScratch, Func<TScratch, int, TResult> runChunk, Func<TResult, TResult, TResult> merge)
        : this(chunks, new ScratchPool<TScratch>(newScratch), runChunk, merge)
    {
    }

    public override int Chunks => _parts.Length;

    public override void RunChunk(int chunk)
    {
        var scratch = _scratch.Rent();
        _parts[chunk] = _runChunk(scratch, chunk);
        _scratch.Return(scratch);
    }

    public override TResult Result() => Result(0, _parts.Length);

    public override TResult Result(int firstChunk, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstChunk);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstChunk + count, _parts.Length, nameof(count));
        var total = _parts[firstChunk];
        for (var c = firstChunk + 1; c < firstChunk + count; c++) total = _merge(total, _parts[c]);
        return total;
    }
}

/// <summary>Chunked computations that need no working memory (each chunk's part is its own result).</summary>
public static class ChunkedComputation
{
    private static readonly object Nothing = new();

    public static ChunkedComputation<object, TResult> WithoutScratch<TResult>(int chunks, Func<int, TResult> runChunk,
        Func<TResult, TResult, TResult> merge) => new(chunks, () => Nothing, (_, c) => runChunk(c), merge);
}
