namespace DistGmm.Numerics;

/// <summary>The single-process driver over <see cref="EmTraining"/>: partitions in order, results merged in order.</summary>
public static class GaussianMixtureFitter
{
    public static GmmFitResult Fit(IReadOnlyList<DataMatrix> partitions, EmOptions options, int maxDegreeOfParallelism = -1, Action<EmTraining>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Count == 0) throw new ArgumentException("No partitions to fit.", nameof(partitions));
        long total = 0;
        var offsets = new long[partitions.Count];
        for (int p = 0; p < partitions.Count; p++)
        {
            if (partitions[p].Cols != partitions[0].Cols)
                throw new ArgumentException($"Partition {p} has {partitions[p].Cols} columns, partition 0 has {partitions[0].Cols}.", nameof(partitions));
            offsets[p] = total;
            total += partitions[p].Rows;
        }
        var training = EmTraining.Start(options, total);
        while (training.NextPass is { } pass)
        {
            PassResult? merged = null;
            for (int p = 0; p < partitions.Count; p++)
            {
                var r = PartitionCompute.Compute(pass, partitions[p], offsets[p], maxDegreeOfParallelism);
                merged = merged is null ? r : merged.Merge(r);
            }
            training = training.Advance(merged!);
            progress?.Invoke(training);
        }
        return training.Result!;
    }

    public static GmmFitResult Fit(DataMatrix data, EmOptions options, int maxDegreeOfParallelism = -1, Action<EmTraining>? progress = null) =>
        Fit([data], options, maxDegreeOfParallelism, progress);
}

/// <summary>A candidate K of a model-selection sweep.</summary>
public sealed record ModelSelectionCandidate(int K, GmmFitResult Fit)
{
    public double Bic => Fit.Bic;
    public double Aic => Fit.Aic;
}

public enum SelectionCriterion { Bic, Aic }

/// <summary>BIC/AIC model selection over a range of K (scikit-learn's parameter counts).</summary>
public static class ModelSelection
{
    /// <summary>Fits every K in <paramref name="ks"/> with otherwise equal options; returns all candidates and the best (lowest criterion; smaller K on ties).</summary>
    public static (IReadOnlyList<ModelSelectionCandidate> Candidates, ModelSelectionCandidate Best) SelectK(
        IReadOnlyList<DataMatrix> partitions, IEnumerable<int> ks, EmOptions baseOptions,
        SelectionCriterion criterion = SelectionCriterion.Bic, int maxDegreeOfParallelism = -1)
    {
        var candidates = new List<ModelSelectionCandidate>();
        foreach (int k in ks.Distinct().Order())
            candidates.Add(new ModelSelectionCandidate(k, GaussianMixtureFitter.Fit(partitions, baseOptions with { K = k, InitModel = null }, maxDegreeOfParallelism)));
        if (candidates.Count == 0) throw new ArgumentException("No K to select from.", nameof(ks));
        Func<ModelSelectionCandidate, double> score = criterion == SelectionCriterion.Bic ? c => c.Bic : c => c.Aic;
        var best = candidates[0];
        foreach (var c in candidates.Skip(1))
            if (score(c) < score(best)) best = c;
        return (candidates, best);
    }
}
