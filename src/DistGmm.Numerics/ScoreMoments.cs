namespace DistGmm.Numerics;

/// <summary>Count, mean and M2 of scores (Welford/Chan); population variance as numpy's .std().</summary>
public readonly record struct ScoreMoments(long Count, double Mean, double M2)
{
    public double Variance => Count == 0 ? double.NaN : M2 / Count;
    public double StdDev => Math.Sqrt(Variance);

    /// <summary>
    /// Adds a batch: its own two-pass mean/M2 of the finite values, then a Chan merge. A score of −∞ (a row the model
    /// gives zero density, e.g. a value near 1e308 under an unscaled preset) is left out: one would make the mean −∞ and
    /// the std NaN, and a NaN threshold flags nothing; below any finite threshold, the row is flagged regardless.
    /// </summary>
    public ScoreMoments Add(ReadOnlySpan<double> values)
    {
        double sum = 0;
        long n = 0;
        foreach (var v in values)
            if (double.IsFinite(v)) { sum += v; n++; }
        if (n == 0) return this;
        double mean = sum / n;
        double m2 = 0;
        foreach (var v in values)
            if (double.IsFinite(v)) { double e = v - mean; m2 += e * e; }
        return Merge(new ScoreMoments(n, mean, m2));
    }

    public ScoreMoments Merge(ScoreMoments other)
    {
        if (other.Count == 0) return this;
        if (Count == 0) return other;
        long n = Count + other.Count;
        double delta = other.Mean - Mean;
        double mean = Mean + delta * ((double)other.Count / n);
        double m2 = M2 + other.M2 + delta * delta * ((double)Count * other.Count / n);
        return new ScoreMoments(n, mean, m2);
    }
}
