namespace DistGmm.Numerics;

/// <summary>Covariance parameterisation, as scikit-learn's <c>covariance_type</c>.</summary>
public enum CovarianceType { Full, Diag, Tied, Spherical }

/// <summary>Initialisation, as scikit-learn's <c>init_params</c> (a user model is given via <see cref="EmOptions.InitModel"/>).</summary>
public enum InitMethod { KMeans, KMeansPlusPlus, RandomFromData, Random }

/// <summary>What the mixture is fitted on and how a row is scored (lower = more anomalous).</summary>
public enum Scoring
{
    /// <summary>Fitted on every row; a row's score is its log-likelihood (the notebook).</summary>
    Rows,
    /// <summary>
    /// Fitted on distinct records (each record once: <see cref="RecordCountsResult"/>); a row's score is the
    /// joint log-likelihood of its record and of how often the record occurs in the scored traffic,
    /// <c>log p(x) + log P(m)</c> (<see cref="MultiplicityModel"/>).
    /// </summary>
    Records,
    /// <summary>
    /// As <see cref="Records"/> (fitted on distinct records, log P(m) added), with the mixture's density taken without the
    /// components' volumes: log Σ_k w_k exp(−½‖U_k(x − μ_k)‖²) up to a constant (<see cref="GaussianMixture.VolumeNeutral"/>).
    /// A record is judged by how many of a component's own standard deviations it lies from it, and no longer scores
    /// higher for belonging to a tight component (near-copies of one attack record can make a very tight one).
    /// </summary>
    Mahalanobis,
}

public static class ScoringExtensions
{
    /// <summary>Whether the mixture is fitted on distinct records and a row's score adds log P(its multiplicity).</summary>
    public static bool CountsRecords(this Scoring scoring) => scoring is Scoring.Records or Scoring.Mahalanobis;

    /// <summary>The mixture whose log-density is a row's density term: the fitted one, or for <see cref="Scoring.Mahalanobis"/> its volume-neutral form.</summary>
    public static GaussianMixture ScoringMixture(this Scoring scoring, GaussianMixture fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        return scoring == Scoring.Mahalanobis ? fitted.VolumeNeutral() : fitted;
    }
}
