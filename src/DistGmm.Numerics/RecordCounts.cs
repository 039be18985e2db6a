using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace DistGmm.Numerics;

/// <summary>
/// How many times each distinct row occurs, and where it first occurs: a sufficient statistic with an exact,
/// associative and commutative <see cref="Merge"/> (integer sums and minima), so any partitioning, worker count or
/// merge tree gives the same bits.
/// <para>
/// Why: network traffic repeats records — a flood is one record copied tens of thousands of times (KDD 10 %: one
/// smurf record 96,599 times). Fitted on rows, a mixture spends components on the copies and scores them as the most
/// normal traffic there is. Fitted on distinct records (<see cref="IsRepresentative"/>), the density describes what
/// traffic looks like; how often a record repeats is kept as a separate signal (<see cref="MultiplicityModel"/>).
/// </para>
/// A row is identified by a 64-bit XXH3 hash of its float64 values (−0.0 counted as 0.0): two different records
/// share a hash with probability about n²/2⁶⁵ (3·10⁻⁶ for ten million distinct records); they would then count as
/// copies of each other.
/// </summary>
/// <param name="Hashes">Distinct row hashes, ascending.</param>
/// <param name="Counts">Rows with that hash.</param>
/// <param name="FirstRows">Global index of the first row with that hash (the record's representative).</param>
public sealed record RecordCountsResult(ulong[] Hashes, long[] Counts, long[] FirstRows) : PassResult
{
    /// <summary>Distinct records.</summary>
    public int Distinct => Hashes.Length;

    /// <summary>Rows counted.</summary>
    public long Rows => Counts.Sum();

    public static RecordCountsResult Empty { get; } = new([], [], []);

    /// <summary>Counts the rows of one partition whose first row has global index <paramref name="globalRowOffset"/>.</summary>
    public static RecordCountsResult Compute(DataMatrix partition, long globalRowOffset)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var index = new Dictionary<ulong, int>(Math.Min(partition.Rows, 1 << 20));
        var hashes = new List<ulong>();
        var counts = new List<long>();
        var first = new List<long>();
        var scratch = new double[partition.Cols];
        for (int r = 0; r < partition.Rows; r++)
        {
            ulong h = Hash(partition.Row(r), scratch);
            if (index.TryGetValue(h, out int at)) { counts[at]++; continue; }
            index.Add(h, hashes.Count);
            hashes.Add(h);
            counts.Add(1);
            first.Add(globalRowOffset + r);
        }
        var order = Enumerable.Range(0, hashes.Count).ToArray();
        var keys = hashes.ToArray();
        Array.Sort(keys, order);
        return new RecordCountsResult(keys, order.Select(i => counts[i]).ToArray(), order.Select(i => first[i]).ToArray());
    }

    /// <summary>The row's identity: XXH3-64 of its values, with −0.0 made 0.0 so equal numbers hash alike.</summary>
    public static ulong Hash(ReadOnlySpan<double> row, Span<double> scratch)
    {
        bool negativeZero = false;
        foreach (double v in row) negativeZero |= v == 0 && double.IsNegative(v);
        if (!negativeZero) return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(row));
        for (int j = 0; j < row.Length; j++) scratch[j] = row[j] == 0 ? 0.0 : row[j];
        return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(scratch[..row.Length]));
    }

    public override PassResult Merge(PassResult other)
    {
        var o = Same<RecordCountsResult>(other);
        int n = Union(Hashes, o.Hashes);
        var hashes = new ulong[n];
        var counts = new long[n];
        var first = new long[n];
        int i = 0, j = 0, w = 0;
        while (i < Hashes.Length || j < o.Hashes.Length)
        {
            if (j == o.Hashes.Length || (i < Hashes.Length && Hashes[i] < o.Hashes[j]))
            { hashes[w] = Hashes[i]; counts[w] = Counts[i]; first[w] = FirstRows[i]; i++; }
            else if (i == Hashes.Length || o.Hashes[j] < Hashes[i])
            { hashes[w] = o.Hashes[j]; counts[w] = o.Counts[j]; first[w] = o.FirstRows[j]; j++; }
            else
            {
                hashes[w] = Hashes[i];
                counts[w] = Counts[i] + o.Counts[j];
                first[w] = Math.Min(FirstRows[i], o.FirstRows[j]);
                i++; j++;
            }
            w++;
        }
        return new RecordCountsResult(hashes, counts, first);
    }

    private static int Union(ulong[] a, ulong[] b)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] < b[j]) i++;
            else if (b[j] < a[i]) j++;
            else { i++; j++; }
            n++;
        }
        return n + (a.Length - i) + (b.Length - j);
    }

    /// <summary>Position of a hash, or −1 when the record was never counted.</summary>
    public int Find(ulong hash) => Math.Max(-1, Array.BinarySearch(Hashes, hash));

    /// <summary>How many rows share this row's values (0 for a record never counted).</summary>
    public long Multiplicity(ulong hash) => Find(hash) is var at and >= 0 ? Counts[at] : 0;

    /// <summary>Whether the row at <paramref name="globalRow"/> is its record's first occurrence.</summary>
    public bool IsRepresentative(ulong hash, long globalRow) => Find(hash) is var at and >= 0 && FirstRows[at] == globalRow;

    internal void Write(ByteWriter w)
    {
        w.Int32(Hashes.Length);
        foreach (ulong h in Hashes) w.UInt64(h);
        w.Int64s(Counts);
        w.Int64s(FirstRows);
    }

    internal static RecordCountsResult Read(ref ByteReader r)
    {
        int at = r.Offset;
        int n = r.Count(int.MaxValue, 8);
        var hashes = new ulong[n];
        for (int i = 0; i < n; i++) hashes[i] = r.UInt64();
        var counts = r.Int64s();
        var first = r.Int64s();
        if (counts.Length != n || first.Length != n) throw r.Error($"{n} hashes but {counts.Length} counts and {first.Length} first rows", at);
        for (int i = 1; i < n; i++)
            if (hashes[i] <= hashes[i - 1]) throw r.Error("record hashes are not strictly ascending", at);
        foreach (long c in counts)
            if (c < 1) throw r.Error($"record count {c} is not positive", at);
        return new RecordCountsResult(hashes, counts, first);
    }
}

/// <summary>
/// The distribution of multiplicities among distinct records: how often does a record of the traffic repeat? An
/// empirical pmf over the orders of magnitude of the multiplicity, bins [2^b, 2^(b+1)) (add-½ smoothing, so a
/// multiplicity never seen has a finite, small probability). With the mixture fitted on distinct records, a row's
/// anomaly score is the joint log-likelihood of its record and its multiplicity's order of magnitude,
/// <c>log p(x) + log P(⌊log2 m⌋)</c>: a record copied far more often than records usually are (a flood, a scan, a
/// brute-force burst) is improbable, however typical its values.
/// </summary>
/// <param name="BinCounts">Distinct records per bin b = ⌊log2 m⌋, b = 0..62.</param>
public sealed record MultiplicityModel(long[] BinCounts)
{
    public const int Bins = 63;

    public long DistinctRecords => BinCounts.Sum();

    public static MultiplicityModel From(RecordCountsResult counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var bins = new long[Bins];
        foreach (long c in counts.Counts) bins[Bin(c)]++;
        return new MultiplicityModel(bins);
    }

    public static int Bin(long multiplicity) =>
        multiplicity >= 1 ? 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)multiplicity) : throw new ArgumentOutOfRangeException(nameof(multiplicity), multiplicity, "A multiplicity is at least 1.");

    /// <summary>log of the smoothed share of distinct records in bin <paramref name="bin"/> (the shares sum to 1).</summary>
    public double LogBinProbability(int bin) => Math.Log((BinCounts[bin] + 0.5) / (DistinctRecords + 0.5 * Bins));

    /// <summary>
    /// The multiplicity term of the <c>records</c> score: log P(B = ⌊log2 m⌋), the smoothed share of distinct records
    /// whose multiplicity has the same order of magnitude. A record repeated as often as records of this traffic
    /// usually are costs little; a record repeated orders of magnitude more often than is usual costs much.
    /// </summary>
    public double LogProbability(long multiplicity) => LogBinProbability(Bin(multiplicity));

    /// <summary>
    /// The mean over the rows of <paramref name="counts"/> of their multiplicity term, Σ m·log P(⌊log2 m⌋) / Σ m, summed
    /// bin by bin (the same bits for any partitioning: the merged counts are). A records score's mean less this is
    /// the rows' mean log-likelihood.
    /// </summary>
    public double MeanLogProbability(RecordCountsResult counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var rowsPerBin = new long[Bins];
        foreach (long c in counts.Counts) rowsPerBin[Bin(c)] += c;
        double sum = 0;
        long rows = 0;
        for (var b = 0; b < Bins; b++)
        {
            if (rowsPerBin[b] == 0) continue;
            sum += rowsPerBin[b] * LogBinProbability(b);
            rows += rowsPerBin[b];
        }
        return rows == 0 ? double.NaN : sum / rows;
    }

    public void Validate()
    {
        if (BinCounts.Length != Bins) throw new ArgumentException($"a multiplicity model has {Bins} bins, not {BinCounts.Length}");
        if (BinCounts.Any(c => c < 0)) throw new ArgumentException("a multiplicity bin count is negative");
    }
}
