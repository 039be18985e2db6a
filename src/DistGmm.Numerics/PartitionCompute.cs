namespace DistGmm.Numerics;

/// <summary>Computes a partition's <see cref="PassResult"/> for any <see cref="DataPass"/> (what a worker runs per shard).</summary>
public static class PartitionCompute
{
    public static PassResult Compute(DataPass pass, DataMatrix partition, long globalRowOffset, int maxDegreeOfParallelism)
    {
        var work = Plan(pass, partition, globalRowOffset);
        ChunkRunner.Parallel(maxDegreeOfParallelism).Run(work);
        return work.Result();
    }

    /// <summary>
    /// The pass over a partition as chunks for a <see cref="ChunkRunner"/>; passes that are not chunked are one chunk.
    /// </summary>
    public static ChunkedWork<PassResult> Plan(DataPass pass, DataMatrix partition, long globalRowOffset) =>
        Plan(pass, [(partition, globalRowOffset)])[0];

    /// <summary>
    /// The pass over several partitions (a worker's shards), one work each, whose kernels are shared: a thread keeps
    /// using its own from shard to shard (a worker runs them all on its node's <see cref="ChunkPool"/>).
    /// </summary>
    public static ChunkedWork<PassResult>[] Plan(DataPass pass, IReadOnlyList<(DataMatrix Partition, long GlobalRowOffset)> partitions)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(partitions);
        switch (pass)
        {
            case EStepPass e:
                var kernels = SufficientStatistics.Kernels(e.Model);
                return partitions.Select(p => SufficientStatistics.Plan(e.Model, p.Partition, kernels: kernels).Select(AsResult)).ToArray();
            case HardAssignmentPass h:
                var assigning = AssignmentKernels(h.Centroids, h.CovarianceType);
                return partitions.Select(p => HardAssignment(h, p.Partition, assigning).Select(AsResult)).ToArray();
            case RandomResponsibilityPass r:
                var weighing = AssignmentKernels(r.Shift, r.CovarianceType);
                return partitions.Select(p => RandomResponsibilities(r, p.Partition, p.GlobalRowOffset, weighing).Select(AsResult)).ToArray();
            case KMeansPass k:
                return partitions.Select(p => KMeansStep.Plan(k.Centroids, p.Partition).Select(r => (PassResult)r)).ToArray();
            case SampleRowsPass s:
                return partitions.Select(p => (ChunkedWork<PassResult>)Whole(() => Sample(s, p.Partition, p.GlobalRowOffset))).ToArray();
            case RecordCountsPass:
                return partitions.Select(p => (ChunkedWork<PassResult>)Whole(() => RecordCountsResult.Compute(p.Partition, p.GlobalRowOffset))).ToArray();
            default:
                throw new ArgumentException($"Unknown pass {pass.GetType().Name}.", nameof(pass));
        }
    }

    /// <summary>Whether <see cref="Plan(DataPass, DataMatrix, long)"/> cuts the pass into chunks (else it is one chunk).</summary>
    public static bool IsChunked(DataPass pass) => pass is not (SampleRowsPass or RecordCountsPass);

    /// <summary>How many chunks a chunked pass over <paramref name="rows"/> rows has.</summary>
    public static int Chunks(long rows) => (int)Math.Max(1, (rows + SufficientStatistics.ChunkRows - 1) / SufficientStatistics.ChunkRows);

    private static ScratchPool<EStepKernel> AssignmentKernels(double[][] shift, CovarianceType type) =>
        new(() => new EStepKernel(shift, type is CovarianceType.Full or CovarianceType.Tied));

    private static PassResult AsResult(SufficientStatistics statistics) => new StatisticsResult(statistics);

    /// <summary>A pass computed whole, as one chunk.</summary>
    private static ChunkedComputation<object, PassResult> Whole(Func<PassResult> compute) =>
        ChunkedComputation.WithoutScratch(1, _ => compute(), (a, _) => a);

    private static SampleResult Sample(SampleRowsPass pass, DataMatrix partition, long offset)
    {
        int d = partition.Cols;
        var idx = pass.GlobalRowIndices;
        int lo = LowerBound(idx, offset), hi = LowerBound(idx, offset + partition.Rows);
        var rows = new double[(hi - lo) * d];
        for (int i = lo; i < hi; i++)
            partition.Row((int)(idx[i] - offset)).CopyTo(rows.AsSpan((i - lo) * d, d));

        // Column moments: two-pass per column over the partition (exact enough for the k-means tolerance).
        var mean = new double[d];
        var m2 = new double[d];
        int n = partition.Rows;
        var values = partition.Values;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++) mean[j] += values[r * d + j];
        if (n > 0)
            for (int j = 0; j < d; j++) mean[j] /= n;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++) { double e = values[r * d + j] - mean[j]; m2[j] += e * e; }
        return new SampleResult(d, idx[lo..hi], rows, n, mean, m2);
    }

    private static int LowerBound(long[] sorted, long value)
    {
        int i = Array.BinarySearch(sorted, value);
        if (i < 0) return ~i;
        while (i > 0 && sorted[i - 1] == value) i--;
        return i;
    }

    private static ChunkedWork<SufficientStatistics> HardAssignment(HardAssignmentPass pass, DataMatrix partition, ScratchPool<EStepKernel> kernels)
    {
        CheckColumns(pass.Centroids, partition);
        bool full = pass.CovarianceType is CovarianceType.Full or CovarianceType.Tied;
        int d = partition.Cols;
        return SufficientStatistics.Chunked(partition, kernels,
            (kernel, rows, count, _) =>
            {
                var resp = kernel.AssignmentScratch;
                Array.Clear(resp);
                for (int r = 0; r < count; r++)
                    resp[KMeansStep.Nearest(pass.Centroids, rows.Slice(r * d, d), out double _) * EStepKernel.BlockRows + r] = 1;
                kernel.AccumulateAssigned(rows, count, resp);
            },
            kernel => kernel.Flush(pass.CovarianceType),
            () => SufficientStatistics.Empty(pass.CovarianceType, full, pass.Centroids));
    }

    private static ChunkedWork<SufficientStatistics> RandomResponsibilities(RandomResponsibilityPass pass, DataMatrix partition, long offset,
        ScratchPool<EStepKernel> kernels)
    {
        CheckColumns(pass.Shift, partition);
        bool full = pass.CovarianceType is CovarianceType.Full or CovarianceType.Tied;
        int k = pass.Shift.Length;
        return SufficientStatistics.Chunked(partition, kernels,
            (kernel, rows, count, firstRow) =>
            {
                var resp = kernel.AssignmentScratch;
                Array.Clear(resp);
                for (int r = 0; r < count; r++)
                {
                    long global = offset + firstRow + r;
                    double sum = 0;
                    for (int c = 0; c < k; c++) sum += resp[c * EStepKernel.BlockRows + r] = SeededRandom.Hash01(pass.Seed, global, c);
                    for (int c = 0; c < k; c++) resp[c * EStepKernel.BlockRows + r] /= sum;
                }
                kernel.AccumulateAssigned(rows, count, resp);
            },
            kernel => kernel.Flush(pass.CovarianceType),
            () => SufficientStatistics.Empty(pass.CovarianceType, full, pass.Shift));
    }

    private static void CheckColumns(double[][] centres, DataMatrix partition)
    {
        if (centres.Length == 0 || centres[0].Length != partition.Cols)
            throw new ArgumentException($"Pass has {(centres.Length == 0 ? 0 : centres[0].Length)} columns, the partition {partition.Cols}.");
    }
}
