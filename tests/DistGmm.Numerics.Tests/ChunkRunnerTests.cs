using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>
/// Who runs a chunk never changes a result: every pass over several partitions gives the same bytes on the calling
/// thread, on thread-pool threads and on shared compute pools of any width, also when two "workers" submit to one
/// pool at once (what embedded workers do).
/// </summary>
public sealed class ChunkRunnerTests
{
    // More than two chunks per partition (ChunkRows = 16,384), the last one partial; and an empty partition.
    private static readonly DataMatrix Data = TestData.Blobs(11, 2 * SufficientStatistics.ChunkRows + 4_321, 5, 3);

    private static IEnumerable<DataPass> Passes()
    {
        var model = TestData.Model(12, Data, 3, CovarianceType.Full);
        yield return new EStepPass(1, model);
        yield return new EStepPass(1, TestData.Model(13, Data, 2, CovarianceType.Diag));
        yield return new KMeansPass(2, model.Means);
        yield return new HardAssignmentPass(3, CovarianceType.Tied, model.Means);
        yield return new RandomResponsibilityPass(4, CovarianceType.Full, 42, model.Means);
        yield return new SampleRowsPass(5, [0, 7, 20_000, 30_000, 37_088]);
        yield return new RecordCountsPass(6);
    }

    private static (DataMatrix Part, long Offset)[] Partitions()
    {
        var first = Rows(0, SufficientStatistics.ChunkRows + 1_000);
        var second = Rows(first.Rows, Data.Rows - first.Rows);
        return [(first, 0), (second, first.Rows), (Rows(0, 0), Data.Rows)];
    }

    private static DataMatrix Rows(int start, int count) =>
        new(Data.Values.AsSpan(start * Data.Cols, count * Data.Cols).ToArray(), count, Data.Cols);

    private static byte[][] Run(ChunkRunner runner, DataPass pass)
    {
        var works = Partitions().Select(p => PartitionCompute.Plan(pass, p.Part, p.Offset)).ToArray();
        runner.Run(works);
        return works.Select(w => w.Result().ToBytes()).ToArray();
    }

    [Fact]
    public void Every_pass_gives_the_same_bytes_on_any_runner()
    {
        using var one = new ChunkPool(1);
        using var three = new ChunkPool(3);
        foreach (var pass in Passes())
        {
            var expected = Partitions().Select(p => PartitionCompute.Compute(pass, p.Part, p.Offset, 1).ToBytes()).ToArray();
            foreach (var (name, runner) in new[] { ("parallel 4", ChunkRunner.Parallel(4)), ("pool 1", one), ("pool 3", three) })
                Assert.True(expected.Zip(Run(runner, pass)).All(x => x.First.AsSpan().SequenceEqual(x.Second)), $"{pass.GetType().Name} on {name}");
        }
    }

    [Fact]
    public void Two_submitters_sharing_a_pool_each_get_their_own_results()
    {
        using var pool = new ChunkPool(2);
        var model = TestData.Model(14, Data, 4, CovarianceType.Full);
        var a = new EStepPass(1, model);
        var b = new KMeansPass(1, model.Means);
        var expectedA = Run(ChunkRunner.Parallel(1), a);
        var expectedB = Run(ChunkRunner.Parallel(1), b);
        using var start = new Barrier(2);
        byte[][]? gotA = null, gotB = null;
        var ta = new Thread(() => { start.SignalAndWait(); for (var i = 0; i < 5; i++) gotA = Run(pool, a); });
        var tb = new Thread(() => { start.SignalAndWait(); for (var i = 0; i < 5; i++) gotB = Run(pool, b); });
        ta.Start();
        tb.Start();
        ta.Join();
        tb.Join();
        Assert.Equal(expectedA, gotA);
        Assert.Equal(expectedB, gotB);
    }

    [Fact]
    public void A_failing_chunk_is_rethrown_as_it_was_and_the_pool_keeps_working()
    {
        using var pool = new ChunkPool(2);
        var failing = new ChunkedComputation<object, int>(5, () => new object(),
            (_, c) => c == 3 ? throw new NonFiniteValueException(double.NaN, 3, 1) : c, (x, y) => x + y);
        var error = Assert.Throws<NonFiniteValueException>(() => pool.Run(failing));
        Assert.Equal((3, 1), (error.Row, error.Column));

        var sum = new ChunkedComputation<object, int>(5, () => new object(), (_, c) => c, (x, y) => x + y);
        pool.Run(sum);
        Assert.Equal(0 + 1 + 2 + 3 + 4, sum.Result());
    }

    [Fact]
    public void Scratch_is_never_shared_by_two_chunks_at_once_and_not_made_per_chunk()
    {
        using var pool = new ChunkPool(3);
        var made = 0;
        var inUse = new HashSet<int[]>(ReferenceEqualityComparer.Instance);
        var work = new ChunkedComputation<int[], int>(200, () => { Interlocked.Increment(ref made); return new int[1]; }, (scratch, c) =>
        {
            lock (inUse) Assert.True(inUse.Add(scratch), "scratch handed to two chunks at once");
            scratch[0] += c;
            lock (inUse) inUse.Remove(scratch);
            return c;
        }, (x, y) => x + y);
        pool.Run(work);
        Assert.Equal(199 * 200 / 2, work.Result());
        Assert.InRange(made, 1, 3);
    }

    [Fact]
    public void Each_work_is_reported_done_in_work_order_with_its_result_complete()
    {
        using var pool = new ChunkPool(2);
        foreach (var runner in new[] { pool, ChunkRunner.Parallel(1), ChunkRunner.Parallel(3) })
        {
            var works = Enumerable.Range(0, 6).Select(w => new ChunkedComputation<object, long>(w + 1, () => new object(),
                (_, c) => 1L << (c + w), (x, y) => x + y)).ToArray();
            var done = new List<(int Work, long Result)>();
            runner.Run(works, w => done.Add((w, works[w].Result())));
            Assert.Equal(Enumerable.Range(0, 6).Select(w => (w, ((1L << (2 * w + 1)) - 1) - ((1L << w) - 1))), done);
        }
    }

    [Fact]
    public void After_a_failure_no_work_is_reported_done_past_it()
    {
        using var pool = new ChunkPool(2);
        var works = Enumerable.Range(0, 4).Select(w => new ChunkedComputation<object, int>(3, () => new object(),
            (_, c) => w == 2 && c == 1 ? throw new InvalidOperationException("work 2 failed") : c, (x, y) => x + y)).ToArray();
        var done = new List<int>();
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(works, done.Add));
        Assert.Equal("work 2 failed", error.Message);
        Assert.DoesNotContain(2, done);
        Assert.DoesNotContain(3, done);
    }

    [Fact]
    public void A_disposed_pool_refuses_new_work_by_name()
    {
        var pool = new ChunkPool(1);
        pool.Dispose();
        var error = Assert.Throws<ObjectDisposedException>(() => pool.Run(new ChunkedComputation<object, int>(1, () => new object(), (_, c) => c, (x, y) => x + y)));
        Assert.Contains(nameof(ChunkPool), error.Message);
    }
}
