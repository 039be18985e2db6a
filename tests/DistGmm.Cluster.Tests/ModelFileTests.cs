using System.Text.Json;
using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

public sealed class ModelFileTests
{
    private static readonly GmmFitResult Fit = GaussianMixtureFitter.Fit(Synthetic.Shards(), Synthetic.Options());

    [Theory]
    [InlineData(CovarianceType.Full)]
    [InlineData(CovarianceType.Diag)]
    [InlineData(CovarianceType.Tied)]
    [InlineData(CovarianceType.Spherical)]
    public void Save_and_load_round_trip_parameters_bit_for_bit(CovarianceType type)
    {
        var fit = GaussianMixtureFitter.Fit(Synthetic.Shards(), Synthetic.Options() with { CovarianceType = type });
        var file = ModelFile.FromFit(fit, Synthetic.Options() with { CovarianceType = type }, ["x0", "x1"], """{"format":"p"}""", ["normal"], [fit]);
        var path = Path.Combine(Path.GetTempPath(), $"model-{Guid.NewGuid():N}.json");
        try
        {
            file.Save(path);
            var back = ModelFile.Load(path);
            Assert.Equal(fit.Model.ToBytes(), back.Model.ToBytes());
            Assert.Equal(fit.Iterations, back.Iterations);
            Assert.Equal(fit.LowerBound, back.LowerBound);
            Assert.Equal(fit.LowerBoundHistory, back.LowerBoundHistory);
            Assert.Equal(["x0", "x1"], back.FeatureNames);
            Assert.Equal(["normal"], back.TrainOnLabels);
            Assert.Equal("""{"format":"p"}""", back.PreprocessorJson);
            Assert.Equal(Synthetic.Options() with { CovarianceType = type }, back.Options);
            Assert.Equal(file.ToJson(), back.ToJson());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_json_has_the_documented_camelCase_keys_and_shapes()
    {
        var json = ModelFile.FromFit(Fit, Synthetic.Options(), ["x0", "x1"], null, [], [Fit]).ToJson();
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("formatVersion").GetInt32());
        Assert.Equal("full", root.GetProperty("covarianceType").GetString());
        Assert.Equal(3, root.GetProperty("weights").GetArrayLength());
        Assert.Equal(2, root.GetProperty("means")[0].GetArrayLength());
        Assert.Equal(2, root.GetProperty("covariances")[0][1].GetArrayLength());  // [K][d][d]
        Assert.Equal(Fit.Model.Covariances[1][1 * 2 + 0], root.GetProperty("covariances")[1][1][0].GetDouble());
        foreach (var key in new[] { "iterations", "converged", "lowerBound", "featureNames", "threshold" })
            Assert.True(root.TryGetProperty(key, out _), key);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("threshold").ValueKind);
    }

    [Fact]
    public void A_json_with_only_the_four_parameter_keys_is_a_valid_init_model()
    {
        var model = ModelFile.FromJson("""
            { "covarianceType": "diag", "weights": [0.25, 0.75], "means": [[0, 1], [2, 3]], "covariances": [[1, 2], [0.5, 4]] }
            """).Model;
        Assert.Equal(CovarianceType.Diag, model.CovarianceType);
        Assert.Equal([0.5, 4], model.Covariances[1]);
    }

    [Fact]
    public void Bad_json_names_the_file_line_and_column()
    {
        var ex = Assert.Throws<FormatException>(() => ModelFile.FromJson("{\n  \"weights\": [1,\n  oops ]\n}", "/runs/a/model.json"));
        Assert.Contains("/runs/a/model.json", ex.Message);
        Assert.Contains("line 3", ex.Message);
    }

    [Theory]
    [InlineData("""{ "weights": [1], "means": [[0]], "covariances": [[[1]]] }""", "'covarianceType': missing")]
    [InlineData("""{ "covarianceType": "wide", "weights": [1], "means": [[0]], "covariances": [[[1]]] }""", "Unknown covariance type 'wide'")]
    [InlineData("""{ "covarianceType": "full", "weights": [0.5, 0.5], "means": [[0]], "covariances": [[[1]]] }""", "'means': expected 2 rows")]
    [InlineData("""{ "covarianceType": "full", "weights": [1], "means": [[0, 0]], "covariances": [[[1, 0]]] }""", "'covariances[0]': expected a 2x2 matrix")]
    [InlineData("""{ "covarianceType": "diag", "weights": [1], "means": [[0]], "covariances": [["x"]] }""", "'covariances[0][0]': expected a number")]
    public void Wrong_shapes_name_the_key(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => ModelFile.FromJson(json, "init.json"));
        Assert.Contains("init.json", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => ModelFile.Load("/nonexistent/model.json"));
        Assert.Contains("/nonexistent/model.json", ex.Message);
    }
}

public sealed class ThresholdRuleTests
{
    [Theory]
    [InlineData("mean-2std", "mean-2std")]
    [InlineData("std:3", "mean-3std")]
    [InlineData("quantile:0.01", "quantile:0.01")]
    [InlineData("contamination:0.2", "quantile:0.2")]
    [InlineData("fixed:-50.5", "fixed:-50.5")]
    public void Parse_and_print(string text, string canonical) => Assert.Equal(canonical, ThresholdRule.Parse(text).ToString());

    [Theory]
    [InlineData("median")]
    [InlineData("quantile:1.5")]
    [InlineData("fixed:abc")]
    public void Bad_rules_are_clear_errors(string text)
    {
        var ex = Assert.Throws<FormatException>(() => ThresholdRule.Parse(text));
        Assert.Contains(text, ex.Message);
    }

    [Fact]
    public void Quantile_equals_numpy_percentile_with_linear_interpolation()
    {
        // numpy.percentile([1, 2, 3, 4, 10], 10) = 1.4 ; 50 -> 3 ; 90 -> 7.6
        double[][] shards = [[10, 2], [4], [1, 3]];
        Assert.Equal(1.4, ThresholdRule.Quantile(shards, 0.1), 12);
        Assert.Equal(3.0, ThresholdRule.Quantile(shards, 0.5));
        Assert.Equal(7.6, ThresholdRule.Quantile(shards, 0.9), 12);
    }

    [Fact]
    public void Mean_minus_k_std_uses_the_merged_moments()
    {
        var moments = new ScoreMoments(0, 0, 0).Add([1.0, 2, 3, 4]);
        Assert.Equal(2.5 - 2 * Math.Sqrt(1.25), new ThresholdRule.MeanMinusKStd(2).Choose(moments, () => []), 12);
        Assert.Equal(-7, new ThresholdRule.Fixed(-7).Choose(moments, () => []));
    }
}
