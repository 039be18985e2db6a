using System.Text.Json;
using DistGmm.Numerics.Evaluation;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Reporting.Tests.Evaluation;

public class BinaryClassificationTests
{
    private const double Eps = 1e-12;

    [Fact]
    public void Confusion_counts_each_cell_and_derives_metrics()
    {
        bool[] predicted = [true, true, false, false, true];
        bool[] actual = [true, false, false, true, true];
        var c = BinaryClassification.Confusion(predicted, actual);
        Assert.Equal(new ConfusionCounts(2, 1, 1, 1), c);
        Assert.Equal(2.0 / 3, c.Precision, Eps);
        Assert.Equal(2.0 / 3, c.Recall, Eps);
        Assert.Equal(2.0 / 3, c.F1, Eps);
        Assert.Equal(3.0 / 5, c.Accuracy, Eps);
        Assert.Equal(0.5, c.FalsePositiveRate, Eps);
        Assert.Equal(5, c.Total);
    }

    [Fact]
    public void Metrics_are_zero_not_nan_when_denominators_are_zero()
    {
        var empty = new ConfusionCounts(0, 0, 0, 0);
        Assert.Equal(0.0, empty.Precision);
        Assert.Equal(0.0, empty.Recall);
        Assert.Equal(0.0, empty.F1);
        Assert.Equal(0.0, empty.Accuracy);
        var noPositivePredicted = new ConfusionCounts(0, 0, 7, 3);
        Assert.Equal(0.0, noPositivePredicted.Precision);
        Assert.Equal(0.0, noPositivePredicted.F1);
        Assert.Equal(0.7, noPositivePredicted.Accuracy, Eps);
    }

    [Fact]
    public void ConfusionAt_treats_scores_at_the_threshold_as_positive()
    {
        double[] score = [0.1, 0.5, 0.5, 0.9];
        bool[] actual = [false, true, false, true];
        Assert.Equal(new ConfusionCounts(2, 1, 1, 0), BinaryClassification.ConfusionAt(score, 0.5, actual));
    }

    [Fact]
    public void Length_mismatch_is_a_clear_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => BinaryClassification.Confusion(new bool[3], new bool[2]));
        Assert.Contains("3", ex.Message);
        Assert.Contains("2", ex.Message);
    }

    [Fact]
    public void Sklearn_docs_example_gives_auc_three_quarters_and_ap_five_sixths()
    {
        double[] score = [0.1, 0.4, 0.35, 0.8];
        bool[] actual = [false, false, true, true];
        Assert.Equal(0.75, BinaryClassification.RocAuc(score, actual), Eps);
        Assert.Equal(5.0 / 6, BinaryClassification.AveragePrecision(score, actual), Eps);
    }

    [Fact]
    public void Hand_computed_auc_and_ap_with_interleaved_labels()
    {
        // Ranked 3(+), 2(-), 1(+): one of the two positive/negative pairs is ordered correctly.
        double[] score = [3, 2, 1];
        bool[] actual = [true, false, true];
        Assert.Equal(0.5, BinaryClassification.RocAuc(score, actual), Eps);
        // AP = ½·1 + ½·⅔
        Assert.Equal(0.5 + 1.0 / 3, BinaryClassification.AveragePrecision(score, actual), Eps);
    }

    [Fact]
    public void Tied_scores_count_half_in_auc()
    {
        Assert.Equal(0.5, BinaryClassification.RocAuc([1.0, 1.0], [true, false]), Eps);
        // One positive ties one negative, the other positive beats both negatives: (1 + ½ + 1 + 1) / 4.
        Assert.Equal(3.5 / 4, BinaryClassification.RocAuc([2.0, 1.0, 1.0, 0.0], [true, true, false, false]), Eps);
    }

    [Fact]
    public void Perfect_and_inverted_rankings()
    {
        double[] score = [4, 3, 2, 1];
        Assert.Equal(1.0, BinaryClassification.RocAuc(score, [true, true, false, false]), Eps);
        Assert.Equal(0.0, BinaryClassification.RocAuc(score, [false, false, true, true]), Eps);
        Assert.Equal(1.0, BinaryClassification.AveragePrecision(score, [true, true, false, false]), Eps);
    }

    [Fact]
    public void Auc_is_undefined_with_one_class_and_nan_scores_are_rejected()
    {
        var one = Assert.Throws<ArgumentException>(() => BinaryClassification.RocAuc([1.0, 2.0], [true, true]));
        Assert.Contains("0 negative", one.Message);
        Assert.Throws<ArgumentException>(() => BinaryClassification.AveragePrecision([1.0, 2.0], [false, false]));
        var nan = Assert.Throws<ArgumentException>(() => BinaryClassification.RocAuc([1.0, double.NaN], [true, false]));
        Assert.Contains("index 1", nan.Message);
    }

    [Fact]
    public void Roc_curve_runs_from_origin_to_one_with_a_step_per_distinct_score()
    {
        var roc = BinaryClassification.RocCurve([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);
        Assert.Equal([0, 0, 0.5, 0.5, 1], roc.X);
        Assert.Equal([0, 0.5, 0.5, 1, 1], roc.Y);
        Assert.Equal([double.PositiveInfinity, 0.8, 0.4, 0.35, 0.1], roc.Thresholds);
        Assert.Equal(0.75, roc.Area, Eps);
    }

    [Fact]
    public void Precision_recall_curve_starts_at_precision_one()
    {
        var pr = BinaryClassification.PrecisionRecallCurve([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);
        Assert.Equal([0, 0.5, 0.5, 1, 1], pr.X);
        Assert.Equal(1.0, pr.Y[0]);
        Assert.Equal(1.0, pr.Y[1]);
        Assert.Equal(0.5, pr.Y[2]);
        Assert.Equal(2.0 / 3, pr.Y[3], Eps);
        Assert.Equal(0.5, pr.Y[4]);
        Assert.Equal(5.0 / 6, pr.Area, Eps);
    }

    [Fact]
    public void Curves_are_thinned_to_the_cap_keeping_ends_and_full_area()
    {
        const int n = 1000;
        var score = new double[n];
        var actual = new bool[n];
        for (var i = 0; i < n; i++)
        {
            score[i] = i;
            actual[i] = (i * 7919 % 13) < 6 || i > 700;
        }

        var full = BinaryClassification.RocCurve(score, actual, maxPoints: 5000);
        var thin = BinaryClassification.RocCurve(score, actual, maxPoints: 50);
        Assert.Equal(n + 1, full.Count);
        Assert.Equal(50, thin.Count);
        Assert.Equal((0.0, 0.0), (thin.X[0], thin.Y[0]));
        Assert.Equal((1.0, 1.0), (thin.X[^1], thin.Y[^1]));
        Assert.Equal(full.Area, thin.Area);
        for (var i = 1; i < thin.Count; i++) Assert.True(thin.X[i] >= thin.X[i - 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryClassification.RocCurve(score, actual, maxPoints: 1));
    }

    [Fact]
    public void Detection_by_label_counts_flagged_records_per_label()
    {
        bool[] predicted = [true, false, true, true, false];
        string[] labels = ["smurf.", "normal.", "smurf.", "neptune.", "smurf."];
        var rows = BinaryClassification.DetectionByLabel(predicted, labels);
        Assert.Equal(
            [new LabelDetection("neptune.", 1, 1), new LabelDetection("normal.", 1, 0), new LabelDetection("smurf.", 3, 2)],
            rows);
        Assert.Equal(2.0 / 3, rows[2].Rate, Eps);
    }

    [Fact]
    public void Auc_equals_the_pairwise_definition_on_random_data_with_ties()
    {
        var rng = new Random(5);
        for (var round = 0; round < 40; round++)
        {
            var n = rng.Next(2, 120);
            var score = new double[n];
            var actual = new bool[n];
            for (var i = 0; i < n; i++)
            {
                score[i] = rng.Next(0, 1 + round % 10); // few distinct values: many ties
                actual[i] = rng.NextDouble() < 0.4;
            }

            actual[0] = true;
            actual[1] = false;
            double wins = 0;
            long pairs = 0;
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    if (actual[i] && !actual[j])
                    {
                        pairs++;
                        wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
                    }

            Assert.Equal(wins / pairs, BinaryClassification.RocAuc(score, actual), Eps);
        }
    }

    public static TheoryData<string> SklearnCases() => ["small_ties", "medium", "heavy_ties", "imbalanced"];

    [Theory]
    [MemberData(nameof(SklearnCases))]
    public void Matches_sklearn_reference_values(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(
            RepoPaths.InRepo("tests", "DistGmm.Reporting.Tests", "fixtures", "sklearn_metrics.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var score = c.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = c.GetProperty("labels").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        Assert.Equal(c.GetProperty("roc_auc").GetDouble(), BinaryClassification.RocAuc(score, actual), Eps);
        Assert.Equal(c.GetProperty("average_precision").GetDouble(), BinaryClassification.AveragePrecision(score, actual), Eps);
        Assert.Equal(c.GetProperty("roc_auc").GetDouble(), BinaryClassification.RocCurve(score, actual, 10).Area, Eps);
    }
}
