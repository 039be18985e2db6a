using System.Text.Json;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Data.Parquet;
using DistGmm.Numerics;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Scoring data the model cannot fully transform completes: such rows are unscorable with their reason, and categories
/// training never saw are counted per column (summary.json, the warning line).
/// </summary>
public sealed class UnscorableRowsTests(DatasetFixture data) : IClassFixture<DatasetFixture>
{
    private const string Log1pReason = "value ≤ -1 in column 'src_bytes', outside log1p's domain";
    private const string LabelReason = "category not seen in training in label-encoded column 'protocol_type'";

    /// <summary>head500 (499 rows) with src_bytes -5 in rowId 9 and protocol sctp, service brand_new_svc in rowId 19.</summary>
    private string ScoringDataset()
    {
        var lines = File.ReadAllLines(RepoPaths.InShared("data", "KDDCup99_head500.csv"));
        var header = lines[0].Split(',').Select(h => h.Trim('"')).ToList();
        void Set(int rowId, string column, string value)
        {
            var fields = lines[rowId + 1].Split(',');
            fields[header.IndexOf(column)] = value;
            lines[rowId + 1] = string.Join(',', fields);
        }
        Set(9, "src_bytes", "-5");
        Set(19, "protocol_type", "sctp");
        Set(19, "service", "brand_new_svc");
        Directory.CreateDirectory(data.Root);
        var input = Path.Combine(data.Root, "unscorable.csv");
        File.WriteAllLines(input, lines);
        return data.Dataset(input, shards: 3);
    }

    private async Task<ScoreOutcome> TrainAndScore(string preset)
    {
        var train = await EmbeddedJob.TrainAsync(new TrainJobSpec(data.KddHead(shards: 2), PreprocessingSpec.Preset(preset),
            new EmOptions(2, CovarianceType.Diag, RegCovar: 1e-4), 2, [], data.NewOutDir()));
        return await EmbeddedJob.ScoreAsync(new ScoreJobSpec(train.ModelPath, ScoringDataset(), 2, new ThresholdRule.MeanMinusKStd(),
            data.NewOutDir()));
    }

    private static Dictionary<long, (bool NullScore, string? Reason)> Unscorable(string outDir)
    {
        var result = new Dictionary<long, (bool, string?)>();
        using var reader = ParquetFileReader.Open(Path.Combine(outDir, RunFolderWriter.ScoresFile));
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var ids = reader.ReadColumn(g, "rowId");
            var score = reader.ReadColumn(g, "score");
            var reason = reader.ReadColumn(g, RunFolderWriter.UnscorableColumn);
            for (var i = 0; i < ids.Count; i++)
                if (score.IsNull(i) || !reason.IsNull(i)) result[ids.Int64s![i]] = (score.IsNull(i), reason.Strings![i]);
        }
        return result;
    }

    [Fact]
    public async Task One_hot_scores_an_unseen_category_counts_it_and_marks_a_value_outside_log1p_s_domain_unscorable()
    {
        var score = await TrainAndScore("kdd-wide");

        var counts = score.Summary.Counts!;
        Assert.Equal((499L, 0L, 498L, 1L), (counts.Read, counts.Rejected, counts.Scored, counts.Unscorable));
        Assert.Equal(new Dictionary<string, long> { [Log1pReason] = 1 }, counts.UnscorableReasons);
        Assert.Equal(new Dictionary<string, long> { ["protocol_type"] = 1, ["service"] = 1 }, counts.UnseenCategories);
        Assert.Equal(new Dictionary<long, (bool, string?)> { [9] = (true, Log1pReason) }, Unscorable(score.OutDir));
        Assert.Equal($"1 of 499 rows unscorable ({Log1pReason}: 1), marked in scores.parquet column 'unscorable'; " +
                     "rows with a category not seen in training: protocol_type 1, service 1", counts.Warning());
        using var summary = JsonDocument.Parse(File.ReadAllText(score.SummaryPath));
        Assert.Equal("{\"protocol_type\":1,\"service\":1}",
            JsonSerializer.Serialize(summary.RootElement.GetProperty("unseenCategories")));
        Assert.Contains($"\"{Log1pReason}\": 1", File.ReadAllText(score.SummaryPath)); // readable, not \u0027-escaped
    }

    [Fact]
    public async Task Label_encoding_leaves_a_row_with_an_unseen_category_unscorable_rather_than_coding_it_arbitrarily()
    {
        var score = await TrainAndScore("seed"); // seed: protocol_type label-encoded, service dropped, no log1p

        var counts = score.Summary.Counts!;
        Assert.Equal((499L, 498L, 1L), (counts.Read, counts.Scored, counts.Unscorable));
        Assert.Equal(new Dictionary<string, long> { [LabelReason] = 1 }, counts.UnscorableReasons);
        Assert.Equal(new Dictionary<string, long> { ["protocol_type"] = 1 }, counts.UnseenCategories);
        Assert.Equal(new Dictionary<long, (bool, string?)> { [19] = (true, LabelReason) }, Unscorable(score.OutDir));
    }

    [Fact]
    public async Task Scoring_the_training_data_meets_no_unseen_category()
    {
        var dataset = data.KddHead(shards: 2);
        var train = await EmbeddedJob.TrainAsync(new TrainJobSpec(dataset, PreprocessingSpec.Preset("seed"),
            new EmOptions(2, CovarianceType.Diag, RegCovar: 1e-4), 2, [], data.NewOutDir()));
        var preprocessor = Preprocessor.FromJson(train.Model.PreprocessorJson!);

        Assert.Empty(RowAccounting.CountUnseenCategories(DatasetManifest.Load(dataset), preprocessor));
        Assert.Equal(new Dictionary<string, long> { ["protocol_type"] = 1 },
            RowAccounting.CountUnseenCategories(DatasetManifest.Load(ScoringDataset()), preprocessor));
    }
}
