using System.Globalization;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>How the anomaly threshold on log-likelihood scores is chosen; a row is anomalous when score &lt; threshold.</summary>
public abstract record ThresholdRule
{
    /// <summary>mean − k·std of all scores (population std, numpy's .std()): the notebook's rule with k = 2.</summary>
    public sealed record MeanMinusKStd(double K = 2) : ThresholdRule;

    /// <summary>The q-quantile of all scores (numpy.percentile, linear interpolation), so about q·N rows are flagged.</summary>
    public sealed record ContaminationQuantile(double Q) : ThresholdRule;

    public sealed record Fixed(double Value) : ThresholdRule;

    public static ThresholdRule Default { get; } = new MeanMinusKStd();

    /// <summary>Parses "mean-2std" / "std:2", "quantile:0.01", "fixed:-50" (what the CLI accepts).</summary>
    public static ThresholdRule Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        static double Num(string s, string whole) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new FormatException($"Threshold rule '{whole}': '{s}' is not a number.");
        if (t.StartsWith("mean-", StringComparison.Ordinal) && t.EndsWith("std", StringComparison.Ordinal))
            return new MeanMinusKStd(Num(t[5..^3], text));
        if (t.StartsWith("std:", StringComparison.Ordinal)) return new MeanMinusKStd(Num(t[4..], text));
        if (t.StartsWith("quantile:", StringComparison.Ordinal) || t.StartsWith("contamination:", StringComparison.Ordinal))
        {
            var q = Num(t[(t.IndexOf(':') + 1)..], text);
            if (!(q > 0 && q < 1)) throw new FormatException($"Threshold rule '{text}': the quantile must be in (0, 1).");
            return new ContaminationQuantile(q);
        }
        if (t.StartsWith("fixed:", StringComparison.Ordinal)) return new Fixed(Num(t[6..], text));
        throw new FormatException($"Unknown threshold rule '{text}': use mean-2std, quantile:0.01 or fixed:-50.");
    }

    public sealed override string ToString() => this switch
    {
        MeanMinusKStd m => string.Create(CultureInfo.InvariantCulture, $"mean-{m.K}std"),
        ContaminationQuantile q => string.Create(CultureInfo.InvariantCulture, $"quantile:{q.Q}"),
        Fixed f => string.Create(CultureInfo.InvariantCulture, $"fixed:{f.Value}"),
        _ => GetType().Name,
    };

    /// <summary>
    /// The threshold over all shards' scores. Mean/std come from the moments merged in shard order; the quantile is
    /// exact, selected from the gathered scores (the coordinator holds them anyway for scores.parquet and ROC AUC).
    /// </summary>
    public double Choose(ScoreMoments moments, Func<IEnumerable<double[]>> shardScores) => this switch
    {
        MeanMinusKStd m => moments.Mean - m.K * moments.StdDev,
        Fixed f => f.Value,
        ContaminationQuantile q => Quantile(shardScores(), q.Q),
        _ => throw new InvalidOperationException(GetType().Name),
    };

    /// <summary>numpy.percentile(scores, 100·q) with linear interpolation.</summary>
    public static double Quantile(IEnumerable<double[]> shardScores, double q)
    {
        var all = shardScores.SelectMany(s => s).ToArray();
        if (all.Length == 0) throw new InvalidOperationException("No scores to take a quantile of.");
        Array.Sort(all);
        var position = q * (all.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, all.Length - 1);
        return all[lo] + (position - lo) * (all[hi] - all[lo]);
    }
}
