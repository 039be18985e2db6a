namespace DistGmm.Numerics;

/// <summary>A feature that makes a row unlikely under its component: value, the component's mean, and z.</summary>
public readonly record struct FeatureDeviation(int Feature, double Value, double Mean, double Z);

/// <summary>
/// Why a row scores as it does: its most responsible component (index, weight, the row's responsibility), its
/// log-likelihood under the mixture, and the features farthest from that component's mean.
/// </summary>
public sealed record Explanation(int Component, double Weight, double Responsibility, double LogLikelihood, IReadOnlyList<FeatureDeviation> Unlikely);

/// <summary>
/// Explains rows under a mixture. The unlikely features are ranked by |z|, z_j = (x_j − μ_kj) / √Σ_kjj: how many of the
/// component's own marginal standard deviations feature j lies from its mean — marginal rather than whitened, so each z
/// belongs to one named feature. Ties keep the feature order. Immutable; safe for concurrent use.
/// </summary>
public sealed class AnomalyExplainer
{
    private readonly GaussianMixture _model;
    private readonly IReadOnlyList<double> _weights;
    private readonly double[][] _marginalStd;

    /// <param name="model">The mixture rows are scored under (responsibilities, log-likelihood).</param>
    /// <param name="weights">The weights to report (default: the model's): the fitted ones when <paramref name="model"/>
    /// is a reweighted form of them (<see cref="GaussianMixture.VolumeNeutral"/>, <see cref="GaussianMixture.VolumeCapped"/>),
    /// whose weights are a scoring device.</param>
    public AnomalyExplainer(GaussianMixture model, IReadOnlyList<double>? weights = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _weights = weights ?? model.Weights;
        if (_weights.Count != model.K) throw new ArgumentException($"{_weights.Count} weights for {model.K} components.", nameof(weights));
        _marginalStd = [.. Enumerable.Range(0, model.K).Select(MarginalStd)];
    }

    /// <summary>Explains one preprocessed row, listing at most <paramref name="top"/> unlikely features.</summary>
    public Explanation Explain(ReadOnlySpan<double> x, int top)
    {
        if (x.Length != _model.D) throw new ArgumentException($"The row has {x.Length} features; the mixture has {_model.D}.", nameof(x));
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var responsibilities = new double[_model.K];
        double logLikelihood = _model.Responsibilities(x, responsibilities);
        int k = 0;
        for (int c = 1; c < responsibilities.Length; c++)
            if (responsibilities[c] > responsibilities[k]) k = c;
        return new Explanation(k, _weights[k], responsibilities[k], logLikelihood, Unlikely(x, k, top));
    }

    /// <summary>The at most <paramref name="top"/> features of a preprocessed row farthest from component <paramref name="k"/>'s mean.</summary>
    public FeatureDeviation[] Unlikely(ReadOnlySpan<double> x, int k, int top)
    {
        if (x.Length != _model.D) throw new ArgumentException($"The row has {x.Length} features; the mixture has {_model.D}.", nameof(x));
        var mean = _model.Means[k];
        var std = _marginalStd[k];
        var z = new double[x.Length];
        for (int j = 0; j < x.Length; j++) z[j] = (x[j] - mean[j]) / std[j];
        var order = Enumerable.Range(0, z.Length).OrderByDescending(j => Math.Abs(z[j])).ThenBy(j => j).Take(top).ToArray();
        var unlikely = new FeatureDeviation[order.Length];
        for (int i = 0; i < order.Length; i++) unlikely[i] = new FeatureDeviation(order[i], x[order[i]], mean[order[i]], z[order[i]]);
        return unlikely;
    }

    private double[] MarginalStd(int k)
    {
        int d = _model.D;
        var cov = _model.Covariances[_model.CovarianceType == CovarianceType.Tied ? 0 : k];
        var std = new double[d];
        for (int j = 0; j < d; j++)
            std[j] = Math.Sqrt(_model.CovarianceType switch
            {
                CovarianceType.Full or CovarianceType.Tied => cov[j * d + j],
                CovarianceType.Diag => cov[j],
                _ => cov[0],
            });
        return std;
    }
}
