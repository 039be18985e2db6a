namespace DistGmm.Numerics;

/// <summary>Count, mean and M2 of scores (Welford/Chan); population variance as numpy's .std().</summary>
public readonly record struct ScoreMoments(long Count, double Mean, double M2)
{
    public double Variance => Count == 0 ? double.NaN : M2 / Count;
    public double StdDev => Math.Sqrt(Variance);

    /// <summary>Adds a batch: its own two-pass mean/M2, then a Chan merge.</summary>
    public ScoreMoments Add(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) return this;
        double sum = 0;
        foreach (var v in values) sum += v;
        double mean = sum / values.Length;
        double m2 = 0;
        foreach (var v in values) { double e = v - mean; m2 += e * e; }
        return Merge(new ScoreMoments(values.Length, mean, m2));
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
