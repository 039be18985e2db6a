using System.Text.Json;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>Train/score through the real dataset path (Parquet shards, preprocessor, ShardLoader) on small data.</summary>
public sealed class DatasetJobTests(DatasetFixture data) : IClassFixture<DatasetFixture>
{
    private static string ParametersOf(string modelJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(modelJsonPath));
        var root = doc.RootElement;
        return string.Join("\n", new[] { "covarianceType", "weights", "means", "covariances", "iterations", "converged", "lowerBound" }
            .Select(k => $"{k}={root.GetProperty(k).GetRawText()}"));
    }

    [Fact]
    public async Task Model_json_parameters_are_bit_identical_for_W_1_2_3_8_and_equal_the_single_process_fitter()
    {
        var dataset = data.KddHead(shards: 6);
        var em = new EmOptions(3, CovarianceType.Diag, Seed: 3, RegCovar: 1e-4);
        var texts = new List<string>();
        TrainOutcome? last = null;
        foreach (var (workers, placement) in new (int, IShardPlacement)[]
                 { (1, BalancedByRowsPlacement.Instance), (2, new RoundRobinPlacement(1)), (3, BalancedByRowsPlacement.Instance), (8, new RoundRobinPlacement(5)) })
        {
            var outDir = data.NewOutDir();
            last = await EmbeddedJob.TrainAsync(new TrainJobSpec(dataset, PreprocessingSpec.Preset("seed"), em, workers, [], outDir,
                Cluster: new ClusterOptions(placement)));
            texts.Add(ParametersOf(last.ModelPath));
        }
        Assert.All(texts, t => Assert.Equal(texts[0], t));

        // The same shards, loaded directly and fitted in one process.
        var manifest = DatasetManifest.Load(dataset);
        var preprocessor = Preprocessor.FromJson(last!.Model.PreprocessorJson!);
        var shards = Enumerable.Range(0, manifest.Shards.Count).Select(s => ShardLoader.Load(manifest, s, preprocessor).Features).ToList();
        var direct = GaussianMixtureFitter.Fit(shards, em);
        Assert.Equal(direct.Model.ToBytes(), last.Fit.Model.ToBytes());
        Assert.Equal(direct.LowerBound, last.Fit.LowerBound);
    }

    [Fact]
    public async Task Train_on_label_fits_on_normal_rows_only_and_score_covers_every_row()
    {
        var dataset = data.KddSample();
        var manifest = DatasetManifest.Load(dataset);
        var normal = manifest.LabelCounts.Where(kv => kv.Key == "normal").Sum(kv => kv.Value);
        Assert.True(normal > 0 && normal < manifest.TotalRows);
        var outDir = data.NewOutDir();
        var train = await EmbeddedJob.TrainAsync(new TrainJobSpec(dataset, PreprocessingSpec.Preset("seed"),
            new EmOptions(2, CovarianceType.Diag, RegCovar: 1e-4), 2, ["normal"], outDir));
        Assert.Equal(normal, train.Fit.Rows);
        Assert.Equal(["normal"], ModelFile.Load(train.ModelPath).TrainOnLabels);

        var scoreDir = data.NewOutDir();
        var score = await EmbeddedJob.ScoreAsync(new ScoreJobSpec(train.ModelPath, dataset, 3, new ThresholdRule.ContaminationQuantile(0.1), scoreDir));
        Assert.Equal(manifest.TotalRows, score.Summary.Rows);
        // numpy.percentile(scores, 10) flags ~10% of rows strictly below it
        Assert.InRange(score.Summary.Anomalies, manifest.TotalRows / 10 - 2, manifest.TotalRows / 10 + 1);
        Assert.NotNull(score.Summary.Metrics);
        var model = ModelFile.Load(Path.Combine(scoreDir, "model.json"));
        Assert.Equal(score.Summary.Threshold, model.Threshold);
        Assert.Equal("quantile:0.1", model.ThresholdRule);
    }

    [Fact]
    public async Task Distributed_run_from_an_init_model_matches_the_scikit_learn_fixture()
    {
        var dataset = data.Blobs();
        using var fixture = JsonDocument.Parse(File.ReadAllText(RepoPaths.InShared("fixtures", "gmm", "blobs4d_sklearn_reference.json")));
        var init = fixture.RootElement.GetProperty("init");
        foreach (var c in fixture.RootElement.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("max_iter").GetInt32() == 100))
        {
            var type = c.GetProperty("covariance_type").GetString()!;
            // An init model file with just the four keys (what --init-model accepts).
            var initJson = $$"""
                { "covarianceType": "{{type}}", "weights": {{init.GetProperty("weights").GetRawText()}},
                  "means": {{init.GetProperty("means").GetRawText()}}, "covariances": {{c.GetProperty("init_covariances").GetRawText()}} }
                """;
            var initModel = ModelFile.FromJson(initJson, "init.json").Model;
            var em = new EmOptions(3, initModel.CovarianceType, MaxIter: 100, Tol: c.GetProperty("tol").GetDouble(), InitModel: initModel);
            var outcome = await EmbeddedJob.TrainAsync(new TrainJobSpec(dataset, PreprocessingSpec.Preset("none"), em, 3, [], data.NewOutDir()));
            var fit = outcome.Fit;
            Assert.Equal(c.GetProperty("n_iter").GetInt32(), fit.Iterations);
            Assert.Equal(c.GetProperty("converged").GetBoolean(), fit.Converged);
            Assert.Equal(c.GetProperty("lower_bound").GetDouble(), fit.LowerBound, 1e-9);
            Assert.Equal(c.GetProperty("mean_log_likelihood").GetDouble(), fit.MeanLogLikelihood, 1e-9);
            var expectedMeans = c.GetProperty("means").EnumerateArray().Select(m => m.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            for (var k = 0; k < 3; k++)
                for (var j = 0; j < 4; j++)
                    Assert.Equal(expectedMeans[k][j], fit.Model.Means[k][j], 1e-7);
        }
    }

    [Fact]
    public async Task A_missing_dataset_is_a_clear_error()
    {
        var missing = Path.Combine(data.Root, "no-such-dataset");
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => EmbeddedJob.TrainAsync(new TrainJobSpec(missing, PreprocessingSpec.Preset("seed"),
            new EmOptions(2, CovarianceType.Full), 1, [], data.NewOutDir())));
        Assert.Contains("manifest.json", ex.Message);
    }
}
