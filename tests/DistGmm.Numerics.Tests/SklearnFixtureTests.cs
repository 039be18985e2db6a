using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>Every case of blobs4d_sklearn_reference.json: parameters 1e-8 rel, bounds 1e-9 abs, BIC/AIC 1e-6 rel.</summary>
public sealed class SklearnFixtureTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Fixtures.CaseCount; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepwiseEmMatchesScikitLearn(int index)
    {
        var c = Fixtures.Case(index);
        var data = Fixtures.Blobs;
        var model = Fixtures.InitialModel(c);
        int maxIter = c.GetProperty("max_iter").GetInt32();
        double tol = c.GetProperty("tol").GetDouble();
        double reg = Fixtures.Reference.GetProperty("reg_covar").GetDouble();
        double lowerBound = double.NegativeInfinity;
        int iterations = 0;
        bool converged = false;
        for (int it = 1; it <= maxIter; it++)
        {
            double previous = lowerBound;
            var stats = SufficientStatistics.Compute(model, data);
            model = MStep.Apply(stats, reg);
            lowerBound = stats.MeanLogLikelihood;
            iterations = it;
            if (Math.Abs(lowerBound - previous) < tol) { converged = true; break; }
        }
        AssertCase(c, model, iterations, converged, lowerBound);
    }

    internal static void AssertCase(System.Text.Json.JsonElement c, GaussianMixture model, int iterations, bool converged, double lowerBound)
    {
        var data = Fixtures.Blobs;
        string name = $"{c.GetProperty("covariance_type").GetString()}/{c.GetProperty("max_iter").GetInt32()}";
        Assert.Equal(c.GetProperty("n_iter").GetInt32(), iterations);
        Assert.Equal(c.GetProperty("converged").GetBoolean(), converged);
        Approx.Absolute(c.GetProperty("lower_bound").GetDouble(), lowerBound, 1e-9, $"{name} lower bound");

        Approx.Relative(Fixtures.Vector(c.GetProperty("weights")), model.Weights, 1e-8, $"{name} weights");
        var means = Fixtures.PerComponent(c.GetProperty("means"));
        var covs = Fixtures.PerComponent(c.GetProperty("covariances"));
        for (int k = 0; k < model.K; k++)
        {
            Approx.Relative(means[k], model.Means[k], 1e-8, $"{name} means[{k}]");
            Approx.Relative(covs[k], model.Covariances[k], 1e-8, $"{name} covariances[{k}]");
        }

        var ll = new double[data.Rows];
        model.ScoreSamples(data.Values, ll);
        Approx.Absolute(c.GetProperty("mean_log_likelihood").GetDouble(), ll.Average(), 1e-9, $"{name} mean score");
        var first10 = Fixtures.Vector(c.GetProperty("score_samples_first10"));
        for (int i = 0; i < 10; i++) Approx.Absolute(first10[i], ll[i], 1e-9, $"{name} score_samples[{i}]");

        var labels = new int[data.Rows];
        model.Predict(data.Values, labels);
        Assert.Equal(Fixtures.Ints(c.GetProperty("predict_first10")), labels.Take(10).ToArray());

        double meanLl = ll.Average();
        Approx.Relative(c.GetProperty("bic").GetDouble(), model.Bic(meanLl, data.Rows), 1e-6, $"{name} BIC");
        Approx.Relative(c.GetProperty("aic").GetDouble(), model.Aic(meanLl, data.Rows), 1e-6, $"{name} AIC");
    }
}
