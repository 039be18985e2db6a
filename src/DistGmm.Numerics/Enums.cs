namespace DistGmm.Numerics;

/// <summary>Covariance parameterisation, as scikit-learn's <c>covariance_type</c>.</summary>
public enum CovarianceType { Full, Diag, Tied, Spherical }

/// <summary>Initialisation, as scikit-learn's <c>init_params</c> (a user model is given via <see cref="EmOptions.InitModel"/>).</summary>
public enum InitMethod { KMeans, KMeansPlusPlus, RandomFromData, Random }
