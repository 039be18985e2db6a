namespace DistGmm.Numerics;

/// <summary>A partition's answer to a <see cref="DataPass"/>; merge partitions' results in partition order.</summary>
public abstract record PassResult
{
    private const uint Magic = 0x52504744; // "DGPR"
    private const ushort Version = 1;

    public abstract PassResult Merge(PassResult other);

    public byte[] ToBytes()
    {
        var w = new ByteWriter();
        w.Magic(Magic, Version);
        switch (this)
        {
            case StatisticsResult s: w.Byte(1); s.Statistics.Write(w); break;
            case SampleResult s:
                w.Byte(2); w.Int32(s.Columns); w.Int64s(s.GlobalRowIndices); w.Doubles(s.Rows);
                w.Int64(s.ColumnCount); w.Doubles(s.ColumnMean); w.Doubles(s.ColumnM2);
                break;
            case KMeansResult k: w.Byte(3); w.Int64s(k.Counts); w.Jagged(k.ShiftedSums); w.Double(k.Inertia); break;
            case RecordCountsResult c: w.Byte(4); c.Write(w); break;
            default: throw new InvalidOperationException($"Unknown result {GetType().Name}.");
        }
        return w.ToArray();
    }

    public static PassResult FromBytes(ReadOnlySpan<byte> bytes)
    {
        var r = new ByteReader(bytes, "PassResult");
        r.Magic(Magic, Version);
        int at = r.Offset;
        PassResult result = r.Byte() switch
        {
            1 => new StatisticsResult(SufficientStatistics.Read(ref r)),
            2 => new SampleResult(r.Int32(), r.Int64s(), r.Doubles(), r.Int64(), r.Doubles(), r.Doubles()),
            3 => new KMeansResult(r.Int64s(), r.Jagged(), r.Double()),
            4 => RecordCountsResult.Read(ref r),
            var t => throw r.Error($"unknown result kind {t}", at),
        };
        r.End();
        return result;
    }

    protected T Same<T>(PassResult other) where T : PassResult =>
        other as T ?? throw new ArgumentException($"Cannot merge {GetType().Name} with {other.GetType().Name}.");
}

public sealed record StatisticsResult(SufficientStatistics Statistics) : PassResult
{
    public override PassResult Merge(PassResult other) => new StatisticsResult(Statistics.Merge(Same<StatisticsResult>(other).Statistics));
}

/// <summary>Sampled rows (row-major, in global index order) and per-column moments (Chan merge).</summary>
public sealed record SampleResult(int Columns, long[] GlobalRowIndices, double[] Rows, long ColumnCount, double[] ColumnMean, double[] ColumnM2) : PassResult
{
    /// <summary>Population variance of each column (numpy's var).</summary>
    public double[] ColumnVariance() => ColumnM2.Select(m2 => ColumnCount == 0 ? 0 : m2 / ColumnCount).ToArray();

    public override PassResult Merge(PassResult other)
    {
        var o = Same<SampleResult>(other);
        if (o.Columns != Columns) throw new ArgumentException($"Cannot merge samples of {Columns} and {o.Columns} columns.");
        long n = ColumnCount + o.ColumnCount;
        var mean = new double[Columns];
        var m2 = new double[Columns];
        for (int j = 0; j < Columns; j++)
        {
            if (o.ColumnCount == 0) { mean[j] = ColumnMean[j]; m2[j] = ColumnM2[j]; continue; }
            if (ColumnCount == 0) { mean[j] = o.ColumnMean[j]; m2[j] = o.ColumnM2[j]; continue; }
            double delta = o.ColumnMean[j] - ColumnMean[j];
            mean[j] = ColumnMean[j] + delta * ((double)o.ColumnCount / n);
            m2[j] = ColumnM2[j] + o.ColumnM2[j] + delta * delta * ((double)ColumnCount * o.ColumnCount / n);
        }
        return new SampleResult(Columns, [.. GlobalRowIndices, .. o.GlobalRowIndices], [.. Rows, .. o.Rows], n, mean, m2);
    }
}

/// <summary>Per centroid: rows assigned, Σ(x − c), plus the total squared distance (inertia).</summary>
public sealed record KMeansResult(long[] Counts, double[][] ShiftedSums, double Inertia) : PassResult
{
    public override PassResult Merge(PassResult other)
    {
        var o = Same<KMeansResult>(other);
        if (o.Counts.Length != Counts.Length) throw new ArgumentException("Cannot merge k-means results of different K.");
        var counts = new long[Counts.Length];
        var sums = new double[Counts.Length][];
        for (int k = 0; k < counts.Length; k++)
        {
            counts[k] = Counts[k] + o.Counts[k];
            sums[k] = new double[ShiftedSums[k].Length];
            for (int i = 0; i < sums[k].Length; i++) sums[k][i] = ShiftedSums[k][i] + o.ShiftedSums[k][i];
        }
        return new KMeansResult(counts, sums, Inertia + o.Inertia);
    }
}
