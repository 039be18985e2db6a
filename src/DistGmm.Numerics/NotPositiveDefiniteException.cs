namespace DistGmm.Numerics;

/// <summary>A covariance matrix (after reg_covar) is not positive definite; names the component.</summary>
public sealed class NotPositiveDefiniteException : ArithmeticException
{
    public NotPositiveDefiniteException(int component, CovarianceType covarianceType, string detail)
        : base($"Covariance of component {component} ({covarianceType}) is not positive definite: {detail}. " +
               "The data may have collapsed onto a point or a subspace; try a larger reg_covar (e.g. 1e-4) " +
               "or fewer components.")
    {
        Component = component;
    }

    public int Component { get; }
}
