using System.IO.Compression;
using System.Text;
using System.Text.Json;
using DistGmm.Data;
using DistGmm.Evaluation;
using DistGmm.Numerics;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Evaluation.Tests;

/// <summary>Protocol mechanics on small tables: which rows train and test, counts, export, determinism. No headline numbers.</summary>
public sealed class EvaluatorTests : IDisposable
{
    private static readonly PreprocessingSpec Spec = new("test", Encoding: CategoricalEncoding.OneHot, Scaling: Scaling.Standard);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distgmm-eval-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Attacks in two tight clusters, normal traffic (every fifth row) far away.</summary>
    private static KddTable Synthetic(int n)
    {
        var columns = new[]
        {
            new ColumnInfo("x", ColumnRole.Numeric), new ColumnInfo("y", ColumnRole.Numeric),
            new ColumnInfo("proto", ColumnRole.Categorical), new ColumnInfo("label", ColumnRole.Label),
        };
        var batch = new ColumnBatch(columns, n) { Count = n };
        var random = new Random(12345);
        for (var r = 0; r < n; r++)
        {
            var normal = r % 5 == 0;
            var centre = normal ? 8.0 : r % 2 == 0 ? 0.0 : 3.0;
            batch.RowIds[r] = r;
            batch.Numbers[0]![r] = centre + random.NextDouble() - 0.5;
            batch.Numbers[1]![r] = (normal ? -6 : 0) + random.NextDouble() - 0.5;
            batch.Texts[2]![r] = r % 3 == 0 ? "tcp" : "udp";
            batch.Texts[3]![r] = normal ? "normal." : r % 2 == 0 ? "smurf." : "neptune.";
        }
        return new KddTable(batch, [n]);
    }

    [Fact]
    public void DagmmTrainsOnTrainingAttacksAndFlagsTheContaminationFractionOfTheTestHalf()
    {
        var table = Synthetic(400);
        var report = Evaluator.Dagmm(table, new EvalSettings(K: 2, Spec: Spec, Repeats: 2, Seed: 3));
        Assert.Equal("normal", report.PositiveClass);
        Assert.Equal([3, 4], report.Cases.Select(c => c.Seed));
        foreach (var c in report.Cases)
        {
            var (train, test) = RowSplit.Halves(400, c.Seed);
            Assert.Equal(train.Count(r => !table.IsNormal(r)), c.TrainRows);
            Assert.Equal(test.Length, c.TestRows);
            Assert.Equal(test.Count(table.IsNormal), c.TestPositives);
            Assert.Equal((long)Math.Floor(0.2 * test.Length), c.Flagged);
            Assert.Equal(2, c.K);
            Assert.Equal(1.0, c.RocAuc); // the clusters are far apart: wiring, not a headline
            Assert.Equal(2 * c.Precision!.Value * c.Recall!.Value / (c.Precision.Value + c.Recall.Value), c.F1!.Value, 12);
        }
        var f1 = report.Summary.Single(m => m.Metric == "f1");
        Assert.Equal(report.Cases.Average(c => c.F1!.Value), f1.Mean, 12);
    }

    [Fact]
    public void SameSettingsGiveTheSameReport()
    {
        var table = Synthetic(300);
        var settings = new EvalSettings(K: 2, Spec: Spec, Repeats: 2);
        var a = JsonSerializer.Serialize(Evaluator.Dagmm(table, settings), Evaluator.Json);
        var b = JsonSerializer.Serialize(Evaluator.Dagmm(table, settings), Evaluator.Json);
        Assert.Equal(a, b);
    }

    [Fact]
    public void SelectionByBicListsEveryCandidateAndKeepsTheLowest()
    {
        var report = Evaluator.Dagmm(Synthetic(300), new EvalSettings(SelectK: [1, 2, 3], Spec: Spec, Repeats: 1, SelectBy: SelectBy.Bic));
        var c = report.Cases.Single();
        Assert.Equal([1, 2, 3], c.Selection!.Select(s => s.K));
        Assert.Equal(c.Selection!.MinBy(s => s.Bic)!.K, c.K);
        Assert.Null(report.K);
        Assert.Equal([1, 2, 3], report.SelectK);
        Assert.Equal("bic", report.SelectBy);
        Assert.Equal(ProtocolDefaults.DagmmRegCovar, report.RegCovar);
    }

    [Fact]
    public void DagmmDefaultComparesKByHeldOutTrainingRecordsAtRegCovarOneTwelfth()
    {
        var table = Synthetic(300);
        var report = Evaluator.Dagmm(table, new EvalSettings(Spec: Spec, Repeats: 1, SelectK: [1, 2]));
        var c = report.Cases.Single();
        Assert.Equal("holdout", report.SelectBy);
        Assert.Null(report.SelectRegCovar);
        Assert.Equal(1.0 / 12, report.RegCovar);
        Assert.Equal([(1, 1.0 / 12), (2, 1.0 / 12)], c.Selection!.Select(s => (s.K, s.RegCovar!.Value)));
        var best = c.Selection!.MaxBy(s => s.HoldoutMeanLogLikelihood!.Value)!;
        Assert.Equal((best.K, best.RegCovar!.Value), (c.K, c.RegCovar));
        // The final model is fitted on every training attack row, not only the hold-out's fitting part.
        var (train, _) = RowSplit.Halves(300, 0);
        Assert.Equal(train.Count(r => !table.IsNormal(r)), c.TrainRows);
    }

    [Fact]
    public void ExportWritesTheSameRowsAsNpy()
    {
        var report = Evaluator.Dagmm(Synthetic(200), new EvalSettings(K: 1, Spec: Spec, Repeats: 1, ExportDir: _dir));
        var c = report.Cases.Single();
        Assert.Equal(new ExportedCase("dagmm-seed0.train.npy", "dagmm-seed0.test.npy", "dagmm-seed0.y.npy"), c.Files);
        Assert.Contains($"'shape': ({c.TrainRows}, {c.D})", NpyHeader(Path.Combine(_dir, c.Files!.Train)));
        Assert.Contains($"'shape': ({c.TestRows}, {c.D})", NpyHeader(Path.Combine(_dir, c.Files.Test)));
        Assert.Contains($"'shape': ({c.TestRows},)", NpyHeader(Path.Combine(_dir, c.Files.TestPositive)));
        var labels = File.ReadAllBytes(Path.Combine(_dir, c.Files.TestPositive));
        var ones = 0;
        for (var i = 0; i < c.TestRows; i++) ones += BitConverter.ToDouble(labels, labels.Length - 8 * (int)c.TestRows + 8 * i) == 1 ? 1 : 0;
        Assert.Equal(c.TestPositives, ones);
    }

    [Fact]
    public void SeedProtocolFlagsBelowMeanMinusTwoStdInSample()
    {
        var table = Synthetic(250);
        var report = Evaluator.Seed(table, new EvalSettings(Spec: Spec));
        var c = report.Cases.Single();
        Assert.Equal(2, c.K);
        Assert.Equal(250, c.TrainRows);
        Assert.Equal(250, c.TestRows);
        Assert.Equal(200, c.TestPositives); // attacks positive
        Assert.NotNull(c.Threshold);
        Assert.Equal("attack", report.PositiveClass);
    }

    [Fact]
    public void SettingsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => Evaluator.Dagmm(Synthetic(50), new EvalSettings(Contamination: 1.5)));
        Assert.Throws<ArgumentException>(() => Evaluator.Dagmm(Synthetic(50), new EvalSettings(Repeats: 0)));
    }

    /// <summary>NSL-KDD is not on this machine: a KDDTest+-style file (43 fields, no dot, difficulty last) made from KDD rows.</summary>
    [Fact]
    public void NslKddTrainsOnNormalRowsOfTrainAndScoresAnNslFormatTestFile()
    {
        Directory.CreateDirectory(_dir);
        var trainLines = new List<string>();
        var testNormal = new List<string>();
        var testAttack = new List<string>();
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(RepoPaths.InShared("data", "kddcup.data_10_percent.gz")), CompressionMode.Decompress)))
        {
            while (reader.ReadLine() is { } line && testAttack.Count < 60)
            {
                if (trainLines.Count < 600) trainLines.Add(line);
                else if (!line.EndsWith(",normal.", StringComparison.Ordinal)) testAttack.Add(line);
                else if (testNormal.Count < 200) testNormal.Add(line);
            }
        }
        var trainFile = Path.Combine(_dir, "train.txt");
        File.WriteAllLines(trainFile, trainLines);
        var testFile = Path.Combine(_dir, "KDDTest-like.txt");
        var nsl = new StringBuilder();
        var difficulty = 0;
        foreach (var line in testNormal.Concat(testAttack)) nsl.Append(line.TrimEnd('.')).Append(',').Append(difficulty++ % 22).Append('\n');
        File.WriteAllText(testFile, nsl.ToString());

        var trainData = Ingestion.Ingest(new IngestOptions(trainFile, Path.Combine(_dir, "train"), Shards: 2)).Manifest;
        var testData = Ingestion.Ingest(new IngestOptions(testFile, Path.Combine(_dir, "test"), Shards: 2)).Manifest;
        Assert.Equal(SourceFormat.NslKdd, testData.SourceFormat);
        var train = KddTable.Load(trainData);
        var test = KddTable.Load(testData);

        var report = Evaluator.NslKdd(train, test, new EvalSettings(K: 1, Spec: PreprocessingSpec.Preset("kdd-wide")));
        var c = report.Cases.Single();
        Assert.Equal(trainLines.Count(l => l.EndsWith(",normal.", StringComparison.Ordinal)), c.TrainRows);
        Assert.Equal(260, c.TestRows);
        Assert.Equal(60, c.TestPositives);
        Assert.InRange(c.RocAuc!.Value, 0, 1);
        Assert.InRange(c.PrAuc!.Value, 0, 1);
        Assert.Equal("attack", report.PositiveClass);
    }

    [Fact]
    public void NslKddTakesAnyLabelledPairOfTablesWithTheGenericPresetAndBenignAsNormal()
    {
        // A CIC-IDS-like pair: scans are short, small flows; BENIGN traffic is long and large.
        string Table(string name, int rows, int everyNthAttack)
        {
            var text = new StringBuilder("Flow Duration,Fwd Packets,Fwd Bytes,Protocol,Label\n");
            for (var i = 0; i < rows; i++)
                text.Append(i % everyNthAttack == 0
                    ? $"{i % 7},{1 + i % 2},{40 + i % 9},tcp,PortScan\n"
                    : $"{2000 + i * 37 % 5000},{10 + i % 60},{900 + i * 131 % 80_000},{(i % 3 == 0 ? "udp" : "tcp")},BENIGN\n");
            var path = Path.Combine(_dir, name);
            Directory.CreateDirectory(_dir);
            File.WriteAllText(path, text.ToString());
            return Ingestion.Ingest(new IngestOptions(path, Path.Combine(_dir, name + ".ds"), Shards: 2)).Manifest.Directory;
        }
        var train = KddTable.Load(DatasetManifest.Load(Table("train.csv", 600, 50)));
        var test = KddTable.Load(DatasetManifest.Load(Table("test.csv", 400, 5)));

        var report = Evaluator.NslKdd(train, test, new EvalSettings(K: 1));
        Assert.Equal("generic", report.Preset);
        var c = Assert.Single(report.Cases);
        Assert.Equal(588, c.TrainRows);      // BENIGN rows only
        Assert.Equal(80, c.TestPositives);   // PortScan is the attack
        Assert.Equal(1.0, c.RocAuc);
    }

    [Fact]
    public void NslKddNeedsNormalTrainingRows()
    {
        var table = Synthetic(50);
        var attacksOnly = new KddTable(KddTable.Take(table.Batch, Enumerable.Range(0, 50).Where(r => !table.IsNormal(r)).ToArray()), [40]);
        var error = Assert.Throws<ArgumentException>(() => Evaluator.NslKdd(attacksOnly, table, new EvalSettings(K: 1, Spec: Spec)));
        Assert.Contains("normal", error.Message);
    }

    private static string NpyHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0x93, bytes[0]);
        int length = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + length) % 64);
        return Encoding.ASCII.GetString(bytes, 10, length);
    }
}
