namespace DistGmm.Numerics;

/// <summary>
/// What every partition must compute next. Each pass is a deterministic function of (pass, partition rows,
/// global row offset) — never of the partition count or thread count — and its per-partition results are
/// merged in partition order (<see cref="PassResult.Merge"/>).
/// </summary>
public abstract record DataPass(int PassNumber)
{
    private const uint Magic = 0x53504744; // "DGPS"
    private const ushort Version = 1;

    public byte[] ToBytes()
    {
        var w = new ByteWriter();
        w.Magic(Magic, Version);
        w.Int32(PassNumber);
        switch (this)
        {
            case EStepPass e: w.Byte(1); e.Model.Write(w); break;
            case SampleRowsPass s: w.Byte(2); w.Int64s(s.GlobalRowIndices); break;
            case KMeansPass k: w.Byte(3); w.Jagged(k.Centroids); break;
            case HardAssignmentPass h: w.Byte(4); w.Byte((byte)h.CovarianceType); w.Jagged(h.Centroids); break;
            case RandomResponsibilityPass r: w.Byte(5); w.Byte((byte)r.CovarianceType); w.UInt64(r.Seed); w.Jagged(r.Shift); break;
            case RecordCountsPass: w.Byte(6); break;
            default: throw new InvalidOperationException($"Unknown pass {GetType().Name}.");
        }
        return w.ToArray();
    }

    public static DataPass FromBytes(ReadOnlySpan<byte> bytes)
    {
        var r = new ByteReader(bytes, "DataPass");
        r.Magic(Magic, Version);
        int number = r.Int32();
        int at = r.Offset;
        DataPass pass = r.Byte() switch
        {
            1 => new EStepPass(number, GaussianMixture.Read(ref r)),
            2 => new SampleRowsPass(number, r.Int64s()),
            3 => new KMeansPass(number, r.Jagged()),
            4 => new HardAssignmentPass(number, ReadType(ref r), r.Jagged()),
            5 => new RandomResponsibilityPass(number, ReadType(ref r), r.UInt64(), r.Jagged()),
            6 => new RecordCountsPass(number),
            var t => throw r.Error($"unknown pass kind {t}", at),
        };
        r.End();
        return pass;
    }

    private static CovarianceType ReadType(ref ByteReader r)
    {
        int at = r.Offset;
        byte t = r.Byte();
        if (t > (byte)CovarianceType.Spherical) throw r.Error($"unknown covariance type {t}", at);
        return (CovarianceType)t;
    }
}

/// <summary>An EM E-step with <paramref name="Model"/> → <see cref="StatisticsResult"/>.</summary>
public sealed record EStepPass(int PassNumber, GaussianMixture Model) : DataPass(PassNumber);

/// <summary>
/// Return the rows at these sorted global indices (those inside the partition) and every column's
/// count/mean/M2 → <see cref="SampleResult"/>. Used for seeding; an empty index list gives moments only.
/// </summary>
public sealed record SampleRowsPass(int PassNumber, long[] GlobalRowIndices) : DataPass(PassNumber);

/// <summary>One Lloyd step: per centroid the row count, Σ(x − c) and the inertia → <see cref="KMeansResult"/>.</summary>
public sealed record KMeansPass(int PassNumber, double[][] Centroids) : DataPass(PassNumber);

/// <summary>Statistics with one-hot responsibilities of the nearest centroid (k-means labels) → <see cref="StatisticsResult"/>.</summary>
public sealed record HardAssignmentPass(int PassNumber, CovarianceType CovarianceType, double[][] Centroids) : DataPass(PassNumber);

/// <summary>
/// Statistics with responsibilities drawn uniformly per (global row, component) and normalised per row
/// (scikit-learn's init 'random'), centred on <paramref name="Shift"/> → <see cref="StatisticsResult"/>.
/// </summary>
public sealed record RandomResponsibilityPass(int PassNumber, CovarianceType CovarianceType, ulong Seed, double[][] Shift) : DataPass(PassNumber);

/// <summary>Count each distinct row and note its first global row → <see cref="RecordCountsResult"/>.</summary>
public sealed record RecordCountsPass(int PassNumber) : DataPass(PassNumber);
