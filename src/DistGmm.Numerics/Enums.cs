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
    /// <summary>
    /// As <see cref="Records"/>, with each component's volume term capped at the typical component's: log Σ_k w_k
    /// exp(min(log det U_k, c) − ½‖U_k(x − μ_k)‖²) up to a constant, c the weight-weighted median of the log det U_k
    /// (<see cref="GaussianMixture.VolumeCapped"/>). A broad component still costs its volume, so records it absorbs
    /// score low (which <see cref="Mahalanobis"/> loses); a tight one gains nothing for being tight (which
    /// <see cref="Records"/> rewards).
    /// </summary>
    Capped,
}

public static class ScoringExtensions
{
    /// <summary>Whether the mixture is fitted on distinct records and a row's score adds log P(its multiplicity).</summary>
    public static bool CountsRecords(this Scoring scoring) => scoring is Scoring.Records or Scoring.Mahalanobis or Scoring.Capped;

    /// <summary>Whether the density term is a reweighted form of the fitted mixture (not its log-likelihood).</summary>
    public static bool Reweights(this Scoring scoring) => scoring is Scoring.Mahalanobis or Scoring.Capped;

    /// <summary>
    /// The mixture whose log-density is a row's density term: the fitted one, its volume-neutral form
    /// (<see cref="Scoring.Mahalanobis"/>) or its volume-capped form (<see cref="Scoring.Capped"/>).
    /// </summary>
    public static GaussianMixture ScoringMixture(this Scoring scoring, GaussianMixture fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        return scoring switch
        {
            Scoring.Mahalanobis => fitted.VolumeNeutral(),
            Scoring.Capped => fitted.VolumeCapped(),
            _ => fitted,
        };
    }
}
