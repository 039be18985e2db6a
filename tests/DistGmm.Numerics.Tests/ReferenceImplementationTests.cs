using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>
/// The kernels against a naive, two-pass textbook implementation written independently here (density from the
/// covariance via its own Cholesky, responsibilities, mean, then scatter around the new mean) for every
/// covariance type — the check for tied and spherical, which the scikit-learn fixture does not cover.
/// </summary>
public sealed class ReferenceImplementationTests
{
    [Theory]
    [InlineData(CovarianceType.Full)]
    [InlineData(CovarianceType.Diag)]
    [InlineData(CovarianceType.Tied)]
    [InlineData(CovarianceType.Spherical)]
    public void EStepAndMStepMatchNaiveTwoPassImplementation(CovarianceType type)
    {
        var data = TestData.Blobs(11, 777, 5, 3);
        var model = TestData.Model(12, data, 3, type);
        int n = data.Rows, d = data.Cols, k = model.K;

        var logProb = new double[n, k];
        for (int c = 0; c < k; c++)
        {
            var cov = FullCovariance(model, c);
            var (logDet, solve) = CholeskySolver(cov, d);
            for (int r = 0; r < n; r++)
            {
                var diff = data.Row(r).ToArray().Select((x, i) => x - model.Means[c][i]).ToArray();
                double maha = diff.Zip(solve(diff)).Sum(t => t.First * t.Second);
                logProb[r, c] = Math.Log(model.Weights[c]) - 0.5 * (d * Math.Log(2 * Math.PI) + logDet + maha);
            }
        }
        var resp = new double[n, k];
        var expectedLl = new double[n];
        for (int r = 0; r < n; r++)
        {
            double m = Enumerable.Range(0, k).Max(c => logProb[r, c]);
            double lse = m + Math.Log(Enumerable.Range(0, k).Sum(c => Math.Exp(logProb[r, c] - m)));
            expectedLl[r] = lse;
            for (int c = 0; c < k; c++) resp[r, c] = Math.Exp(logProb[r, c] - lse);
        }
        var ll = new double[n];
        model.ScoreSamples(data.Values, ll);
        for (int r = 0; r < n; r++) Approx.Absolute(expectedLl[r], ll[r], 1e-10, $"log-likelihood row {r}");

        var stats = SufficientStatistics.Compute(model, data);
        Approx.Relative(expectedLl.Sum(), stats.LogLikelihoodSum, 1e-12, "log-likelihood sum");
        var next = MStep.Apply(stats, 1e-6);

        var nk = Enumerable.Range(0, k).Select(c => Enumerable.Range(0, n).Sum(r => resp[r, c]) + 10 * 2.220446049250313e-16).ToArray();
        var means = Enumerable.Range(0, k).Select(c => Enumerable.Range(0, d).Select(i => Enumerable.Range(0, n).Sum(r => resp[r, c] * data.Row(r)[i]) / nk[c]).ToArray()).ToArray();
        var scatter = Enumerable.Range(0, k).Select(c =>
        {
            var s = new double[d * d];
            for (int r = 0; r < n; r++)
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++)
                        s[i * d + j] += resp[r, c] * (data.Row(r)[i] - means[c][i]) * (data.Row(r)[j] - means[c][j]);
            return s;
        }).ToArray();
        double[][] expectedCov = type switch
        {
            CovarianceType.Full => scatter.Select((s, c) => AddDiag(s.Select(v => v / nk[c]).ToArray(), d, 1e-6)).ToArray(),
            CovarianceType.Tied => [AddDiag(Enumerable.Range(0, d * d).Select(i => scatter.Sum(s => s[i]) / nk.Sum()).ToArray(), d, 1e-6)],
            CovarianceType.Diag => scatter.Select((s, c) => Enumerable.Range(0, d).Select(i => s[i * d + i] / nk[c] + 1e-6).ToArray()).ToArray(),
            _ => scatter.Select((s, c) => new[] { Enumerable.Range(0, d).Average(i => s[i * d + i] / nk[c] + 1e-6) }).ToArray(),
        };
        Approx.Relative(nk.Select(v => v / nk.Sum()).ToArray(), next.Weights, 1e-10, "weights");
        for (int c = 0; c < k; c++) Approx.Relative(means[c], next.Means[c], 1e-10, $"means[{c}]", floor: 1);
        for (int c = 0; c < expectedCov.Length; c++)
            Approx.Relative(expectedCov[c], next.Covariances[c], 1e-10, $"covariances[{c}]", floor: Approx.MaxAbs(expectedCov[c]));

        var labels = new int[n];
        model.Predict(data.Values, labels);
        for (int r = 0; r < n; r++)
            Assert.Equal(Enumerable.Range(0, k).MaxBy(c => logProb[r, c]), labels[r]);
    }

    [Theory]
    [InlineData(CovarianceType.Full, 3 * 4 * 5 / 2 + 3 * 4 + 2)]
    [InlineData(CovarianceType.Diag, 3 * 4 + 3 * 4 + 2)]
    [InlineData(CovarianceType.Tied, 4 * 5 / 2 + 3 * 4 + 2)]
    [InlineData(CovarianceType.Spherical, 3 + 3 * 4 + 2)]
    public void FreeParameterCountIsScikitLearns(CovarianceType type, int expected)
    {
        var data = TestData.Blobs(1, 50, 4, 3);
        var model = TestData.Model(2, data, 3, type);
        Assert.Equal(expected, model.FreeParameterCount);
        Assert.Equal(-2 * -1.5 * 50 + expected * Math.Log(50), model.Bic(-1.5, 50), 12);
        Assert.Equal(-2 * -1.5 * 50 + 2 * expected, model.Aic(-1.5, 50), 12);
    }

    private static double[] AddDiag(double[] m, int d, double v)
    {
        for (int i = 0; i < d; i++) m[i * d + i] += v;
        return m;
    }

    private static double[] FullCovariance(GaussianMixture model, int c)
    {
        int d = model.D;
        var m = new double[d * d];
        switch (model.CovarianceType)
        {
            case CovarianceType.Full: return model.Covariances[c];
            case CovarianceType.Tied: return model.Covariances[0];
            case CovarianceType.Diag: for (int i = 0; i < d; i++) m[i * d + i] = model.Covariances[c][i]; return m;
            default: for (int i = 0; i < d; i++) m[i * d + i] = model.Covariances[c][0]; return m;
        }
    }

    /// <summary>log det Σ and a solver x ↦ Σ⁻¹x via a plain Cholesky factorisation.</summary>
    private static (double LogDet, Func<double[], double[]> Solve) CholeskySolver(double[] a, int d)
    {
        var l = new double[d, d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * d + j];
                for (int p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                l[i, j] = i == j ? Math.Sqrt(s) : s / l[j, j];
            }
        double logDet = 0;
        for (int i = 0; i < d; i++) logDet += 2 * Math.Log(l[i, i]);
        return (logDet, b =>
        {
            var y = new double[d];
            for (int i = 0; i < d; i++) { double s = b[i]; for (int p = 0; p < i; p++) s -= l[i, p] * y[p]; y[i] = s / l[i, i]; }
            var x = new double[d];
            for (int i = d - 1; i >= 0; i--) { double s = y[i]; for (int p = i + 1; p < d; p++) s -= l[p, i] * x[p]; x[i] = s / l[i, i]; }
            return x;
        });
    }
}
