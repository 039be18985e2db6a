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
}
