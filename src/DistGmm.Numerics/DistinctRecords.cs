namespace DistGmm.Numerics;

/// <summary>
/// Partition-wise helpers of the <c>records</c> scoring (see <see cref="RecordCountsResult"/>): count records per
/// partition and merge in partition order, keep each record's first occurrence for fitting, and score a row by the
/// joint log-likelihood of its values and its multiplicity.
/// </summary>
public static class DistinctRecords
{
    /// <summary>Record counts of the partitions, computed per partition and merged in partition order.</summary>
    public static RecordCountsResult Count(IReadOnlyList<DataMatrix> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        RecordCountsResult merged = RecordCountsResult.Empty;
        long offset = 0;
        foreach (var p in partitions)
        {
            merged = (RecordCountsResult)merged.Merge(RecordCountsResult.Compute(p, offset));
            offset += p.Rows;
        }
        return merged;
    }

    /// <summary>
    /// The partition's rows that are their record's first occurrence in the whole data (global order), in row order:
    /// over all partitions, each distinct record exactly once, whatever the partitioning.
    /// </summary>
    public static DataMatrix Representatives(DataMatrix partition, long globalRowOffset, RecordCountsResult counts)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(counts);
        int d = partition.Cols;
        var scratch = new double[d];
        var kept = new List<int>();
        for (int r = 0; r < partition.Rows; r++)
            if (counts.IsRepresentative(RecordCountsResult.Hash(partition.Row(r), scratch), globalRowOffset + r)) kept.Add(r);
        var values = new double[kept.Count * d];
        for (int i = 0; i < kept.Count; i++) partition.Row(kept[i]).CopyTo(values.AsSpan(i * d, d));
        return new DataMatrix(values, kept.Count, d);
    }

    /// <summary>Each row's multiplicity in <paramref name="counts"/> (at least 1: a record never counted occurs once, here).</summary>
    public static long[] Multiplicities(DataMatrix rows, RecordCountsResult counts)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(counts);
        var scratch = new double[rows.Cols];
        var m = new long[rows.Rows];
        for (int r = 0; r < rows.Rows; r++) m[r] = Math.Max(1, counts.Multiplicity(RecordCountsResult.Hash(rows.Row(r), scratch)));
        return m;
    }

    /// <summary>
    /// Adds log P(m) to each row's log-likelihood in place: the anomaly score of the <c>records</c> scoring (lower is
    /// more anomalous).
    /// </summary>
    public static void AddMultiplicity(Span<double> logLikelihood, ReadOnlySpan<long> multiplicity, MultiplicityModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (logLikelihood.Length != multiplicity.Length) throw new ArgumentException($"{logLikelihood.Length} scores but {multiplicity.Length} multiplicities.");
        for (int i = 0; i < logLikelihood.Length; i++) logLikelihood[i] += model.LogProbability(multiplicity[i]);
    }
}
