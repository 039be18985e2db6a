namespace DistGmm.Numerics;

/// <summary>
/// Partial E-step statistics for one component set, centred on a fixed shift per component (the means of the
/// model that produced them): N_k = Σ r, S1_k = Σ r (x − shift_k), S2_k = Σ r (x − shift_k)(x − shift_k)ᵀ
/// (full d×d, or only its diagonal for diag/spherical), plus the row count and Σ log p(x).
/// Because every part of one pass shares the shift, Merge is a plain sum: associative up to rounding, and
/// bit-identical for the same parts in the same order.
/// </summary>
public sealed class SufficientStatistics
{
    private const uint Magic = 0x54534744; // "DGST"
    // 2: full second moments as upper triangles (S2 is symmetric by construction; half the bytes on the wire and in the
    // journal). Version 1 payloads (whole matrices) are still read: journals written before stay replayable.
    private const ushort Version = 2;

    /// <summary>Rows per chunk: the fixed unit of the reduction tree (blocks inside a chunk, chunks in order).</summary>
    public const int ChunkRows = 256 * EStepKernel.BlockRows;

    internal SufficientStatistics(CovarianceType covarianceType, bool fullSecondMoments, long rows, double logLikelihoodSum,
        double[][] shift, double[] responsibilitySum, double[][] firstMoment, double[][] secondMoment)
    {
        CovarianceType = covarianceType;
        FullSecondMoments = fullSecondMoments;
        Rows = rows;
        LogLikelihoodSum = logLikelihoodSum;
        Shift = shift;
        ResponsibilitySum = responsibilitySum;
        FirstMoment = firstMoment;
        SecondMoment = secondMoment;
    }

    /// <summary>The covariance type the M-step will produce.</summary>
    public CovarianceType CovarianceType { get; }
    public bool FullSecondMoments { get; }
    public int K => Shift.Length;
    public int D => Shift[0].Length;
    public long Rows { get; }
    public double LogLikelihoodSum { get; }

    /// <summary>scikit-learn's lower bound for the pass: the mean per-row log-likelihood.</summary>
    public double MeanLogLikelihood => LogLikelihoodSum / Rows;

    public double[][] Shift { get; }
    public double[] ResponsibilitySum { get; }
    public double[][] FirstMoment { get; }
    public double[][] SecondMoment { get; }

    /// <summary>E-step statistics of <paramref name="model"/> over a partition (parallel over fixed chunks, merged in chunk order).</summary>
    public static SufficientStatistics Compute(GaussianMixture model, DataMatrix partition, int maxDegreeOfParallelism = 1) =>
        Compute(model, partition, maxDegreeOfParallelism, vectorBits: null);

    /// <summary>As above on a given kernel path (128, 256 or 512 bits, at most the start-up one): tests compare them.</summary>
    internal static SufficientStatistics Compute(GaussianMixture model, DataMatrix partition, int maxDegreeOfParallelism, int? vectorBits)
    {
        var work = Plan(model, partition, vectorBits);
        ChunkRunner.Parallel(maxDegreeOfParallelism).Run(work);
        return work.Result();
    }

    /// <summary>The E-step over a partition as chunks for a <see cref="ChunkRunner"/>.</summary>
    /// <param name="kernels">Kernels of <see cref="Kernels"/> for this model, shared by the partitions of one pass (null: its own).</param>
    internal static ChunkedWork<SufficientStatistics> Plan(GaussianMixture model, DataMatrix partition, int? vectorBits = null,
        ScratchPool<EStepKernel>? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(partition);
        if (partition.Cols != model.D)
            throw new ArgumentException($"Partition has {partition.Cols} columns, the model {model.D}.", nameof(partition));
        bool full = model.IsTriangular;
        return Chunked(partition, kernels ?? Kernels(model, vectorBits),
            (kernel, rows, count, _) => kernel.ProcessBlock(rows, count),
            kernel => kernel.Flush(model.CovarianceType),
            () => Empty(model.CovarianceType, full, model.Means));
    }

    /// <summary>E-step kernels (statistics collecting) for <paramref name="model"/>.</summary>
    internal static ScratchPool<EStepKernel> Kernels(GaussianMixture model, int? vectorBits = null) =>
        new(() => new EStepKernel(model, collectStatistics: true, fullSecondMoments: model.IsTriangular, vectorBits));

    internal delegate void BlockAction(EStepKernel kernel, ReadOnlySpan<double> rows, int count, int firstRow);

    /// <summary>
    /// Statistics over fixed chunks of <see cref="ChunkRows"/> rows, each a run of kernel blocks flushed into its own
    /// part; the parts merge in chunk order.
    /// </summary>
    internal static ChunkedWork<SufficientStatistics> Chunked(DataMatrix partition,
        ScratchPool<EStepKernel> kernels, BlockAction block, Func<EStepKernel, SufficientStatistics> flush,
        Func<SufficientStatistics> empty)
    {
        int n = partition.Rows, d = partition.Cols;
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        if (chunks == 0) return new ChunkedComputation<EStepKernel, SufficientStatistics>(1, kernels, (_, _) => empty(), (a, _) => a);
        return new ChunkedComputation<EStepKernel, SufficientStatistics>(chunks, kernels, (kernel, c) =>
        {
            int start = c * ChunkRows, end = Math.Min(n, start + ChunkRows);
            var values = partition.Values.AsSpan();
            for (int b = start; b < end; b += EStepKernel.BlockRows)
            {
                int count = Math.Min(EStepKernel.BlockRows, end - b);
                block(kernel, values.Slice(b * d, count * d), count, b);
            }
            return flush(kernel);
        }, (a, b) => a.Merge(b));
    }

    internal static SufficientStatistics Empty(CovarianceType type, bool full, double[][] shift)
    {
        int k = shift.Length, d = shift[0].Length;
        return new SufficientStatistics(type, full, 0, 0,
            shift.Select(s => (double[])s.Clone()).ToArray(), new double[k],
            Enumerable.Range(0, k).Select(_ => new double[d]).ToArray(),
            Enumerable.Range(0, k).Select(_ => new double[full ? d * d : d]).ToArray());
    }

    /// <summary>The sum of both parts (this first); inputs are unchanged.</summary>
    public SufficientStatistics Merge(SufficientStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.CovarianceType != CovarianceType || other.FullSecondMoments != FullSecondMoments || other.K != K || other.D != D)
            throw new ArgumentException($"Cannot merge statistics of different shapes ({CovarianceType}/K={K}/D={D} vs {other.CovarianceType}/K={other.K}/D={other.D}).");
        for (int k = 0; k < K; k++)
            if (!Shift[k].AsSpan().SequenceEqual(other.Shift[k]))
                throw new ArgumentException($"Cannot merge statistics centred on different shifts (component {k}); they come from different passes.");
        var n = new double[K];
        var s1 = new double[K][];
        var s2 = new double[K][];
        for (int k = 0; k < K; k++)
        {
            n[k] = ResponsibilitySum[k] + other.ResponsibilitySum[k];
            s1[k] = Add(FirstMoment[k], other.FirstMoment[k]);
            s2[k] = Add(SecondMoment[k], other.SecondMoment[k]);
        }
        return new SufficientStatistics(CovarianceType, FullSecondMoments, Rows + other.Rows, LogLikelihoodSum + other.LogLikelihoodSum,
            Shift, n, s1, s2);
    }

    private static double[] Add(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (int i = 0; i < r.Length; i++) r[i] = a[i] + b[i];
        return r;
    }

    public byte[] ToBytes()
    {
        var w = new ByteWriter();
        Write(w);
        return w.ToArray();
    }

    public static SufficientStatistics FromBytes(ReadOnlySpan<byte> bytes)
    {
        var r = new ByteReader(bytes, "SufficientStatistics");
        var s = Read(ref r);
        r.End();
        return s;
    }

    internal void Write(ByteWriter w)
    {
        w.Magic(Magic, Version);
        w.Byte((byte)CovarianceType);
        w.Byte(FullSecondMoments ? (byte)1 : (byte)0);
        w.Int64(Rows);
        w.Double(LogLikelihoodSum);
        w.Jagged(Shift);
        w.Doubles(ResponsibilitySum);
        w.Jagged(FirstMoment);
        if (FullSecondMoments) w.UpperTriangles(SecondMoment, D, "SufficientStatistics second moment");
        else w.Jagged(SecondMoment);
    }

    internal static SufficientStatistics Read(ref ByteReader r)
    {
        int version = r.Magic(Magic, Version);
        int at = r.Offset;
        byte t = r.Byte();
        if (t > (byte)CovarianceType.Spherical) throw r.Error($"unknown covariance type {t}", at);
        bool full = r.Byte() != 0;
        long rows = r.Int64();
        double ll = r.Double();
        var shift = r.Jagged();
        var n = r.Doubles();
        var s1 = r.Jagged();
        at = r.Offset;
        var s2 = full && version >= 2 ? r.UpperTriangles(shift.Length == 0 ? 0 : shift[0].Length) : r.Jagged();
        int k = shift.Length;
        if (k == 0 || n.Length != k || s1.Length != k || s2.Length != k)
            throw r.Error($"inconsistent component counts ({k}, {n.Length}, {s1.Length}, {s2.Length})", at);
        int d = shift[0].Length;
        for (int c = 0; c < k; c++)
            if (shift[c].Length != d || s1[c].Length != d || s2[c].Length != (full ? d * d : d))
                throw r.Error($"inconsistent dimensions in component {c}", at);
        return new SufficientStatistics((CovarianceType)t, full, rows, ll, shift, n, s1, s2);
    }
}
