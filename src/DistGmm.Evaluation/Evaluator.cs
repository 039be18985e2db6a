using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Numerics.Evaluation;

namespace DistGmm.Evaluation;

/// <summary>
/// Runs the published evaluation protocols in-process on in-memory matrices. Every fit sees training rows only
/// (preprocessing, K selection by BIC and EM); test labels are used for nothing but the metrics.
/// </summary>
public static class Evaluator
{
    public static readonly IReadOnlyList<PublishedResult> DagmmPublished =
    [
        new("DAGMM", "f1", 0.9369, "Zong et al., ICLR 2018, Table 2"),
        new("OC-SVM", "f1", 0.7954, "Zong et al., ICLR 2018, Table 2"),
        new("PAE-GMM", "f1", 0.7317, "Zong et al., ICLR 2018, Table 2"),
        new("scikit-learn GaussianMixture K=4 full", "f1", 0.980, "issue 8 (log1p, one-hot, standard scaling, seed 0)"),
    ];

    /// <summary>
    /// seed: preset <c>seed</c> fitted on all rows, K=2 full mixture (kmeans init) on the shards as partitions
    /// (as `distgmm run`), flag scores below mean − 2·std; precision/recall with attacks positive.
    /// </summary>
    public static EvalReport Seed(KddTable table, EvalSettings s, Action<string>? log = null)
    {
        s.Validate();
        var spec = s.Spec ?? PreprocessingSpec.Preset(ProtocolDefaults.Preset(EvalProtocol.Seed));
        var preprocessor = Preprocessor.Fit(() => [table.Batch], table.Columns, spec);
        var kept = preprocessor.SelectRows(table.Batch, null, out _);
        var matrix = preprocessor.Transform(table.Batch, kept);
        var partitions = Partition(matrix, table, kept);
        log?.Invoke($"seed: {matrix.Rows} rows x {matrix.Cols} features, {partitions.Count} partition(s)");
        var selection = ProtocolDefaults.Resolve(EvalProtocol.Seed, s);
        var fitted = ModelRunner.Fit(partitions, s.K ?? ProtocolDefaults.SeedK, selection, s.Seed, s, log);
        var scores = ModelRunner.Score(fitted.Fit.Model, matrix, s.Threads);
        var threshold = ModelRunner.MeanMinusKStd(scores, s.StdK);
        var flagged = ModelRunner.FlagBelow(scores, threshold);
        var attack = kept.Select(r => !table.IsNormal(r)).ToArray();
        var confusion = BinaryClassification.Confusion(flagged, attack);
        var (roc, pr) = ModelRunner.Areas(scores, attack);
        var files = Export(s, "seed", matrix, null, attack);
        var @case = new EvalCase
        {
            Name = "all rows", Seed = s.Seed, TrainRows = matrix.Rows, TestRows = matrix.Rows, TestPositives = confusion.ActualPositive,
            D = matrix.Cols, K = fitted.Fit.Model.K, RegCovar = fitted.RegCovar, Converged = fitted.Fit.Converged, TrainMeanLogLikelihood = fitted.Fit.MeanLogLikelihood,
            Selection = fitted.Selection, Flagged = confusion.TruePositive + confusion.FalsePositive, Threshold = threshold,
            Precision = confusion.Precision, Recall = confusion.Recall, F1 = confusion.F1, RocAuc = roc, PrAuc = pr, Files = files,
        };
        return Report(EvalProtocol.Seed, s, selection, spec, [@case], $"flag log-likelihood < mean - {s.StdK}*std (all rows, in-sample)");
    }

    /// <summary>
    /// dagmm (Zong et al. 2018): normal traffic is the positive class; per repeat r a 50/50 split by
    /// <c>RandomState(seed + r).permutation(n)</c>; preprocessing and mixture fitted on the training half's attack
    /// rows; the ⌊contamination·n⌋ lowest-likelihood test rows are flagged; mean ± std over repeats. One-hot columns
    /// cover the whole file's categories (no labels used; <see cref="UnseenCategoryColumns"/>) unless
    /// <see cref="EvalSettings.TrainVocabularyOnly"/>.
    /// </summary>
    public static EvalReport Dagmm(KddTable table, EvalSettings s, Action<string>? log = null)
    {
        s.Validate();
        s = s with { NInit = ProtocolDefaults.NInit(EvalProtocol.Dagmm, s) };
        var spec = s.Spec ?? PreprocessingSpec.Preset(ProtocolDefaults.Preset(EvalProtocol.Dagmm));
        var selection = ProtocolDefaults.Resolve(EvalProtocol.Dagmm, s);
        var cases = new List<EvalCase>();
        for (var r = 0; r < ProtocolDefaults.Repeats(EvalProtocol.Dagmm, s); r++)
        {
            var seed = s.Seed + r;
            var (train, test) = RowSplit.Halves(table.Count, seed);
            var trainAttack = train.Where(i => !table.IsNormal(i)).ToArray();
            var trainBatch = KddTable.Take(table.Batch, trainAttack);
            var preprocessor = Preprocessor.Fit(() => [trainBatch], table.Columns, spec);
            var trainKept = preprocessor.SelectRows(trainBatch, null, out _);
            var testRows = preprocessor.SelectRows(table.Batch, null, out _).Intersect(test).ToArray();
            Array.Sort(testRows);
            var extra = s.TrainVocabularyOnly ? UnseenCategoryColumns.Build(preprocessor, []) : UnseenCategoryColumns.Build(preprocessor, [table.Batch]);
            var trainMatrix = extra.Append(preprocessor.Transform(trainBatch, trainKept), trainBatch, trainKept);
            var testMatrix = extra.Append(preprocessor.Transform(table.Batch, testRows), table.Batch, testRows);
            log?.Invoke($"dagmm: seed {seed}: fit on {trainMatrix.Rows} attack rows x {trainMatrix.Cols}, test {testMatrix.Rows} rows");
            var fitted = ModelRunner.Fit([trainMatrix], s.K ?? 1, selection, seed, s, log);
            var scores = ModelRunner.Score(fitted.Fit.Model, testMatrix, s.Threads);
            var normal = testRows.Select(table.IsNormal).ToArray();
            var flagged = ModelRunner.FlagLowest(scores, s.Contamination);
            var confusion = BinaryClassification.Confusion(flagged, normal);
            var (roc, pr) = ModelRunner.Areas(scores, normal);
            var c = new EvalCase
            {
                Name = $"seed {seed}", Seed = seed, TrainRows = trainMatrix.Rows, TestRows = testMatrix.Rows, TestPositives = confusion.ActualPositive,
                D = trainMatrix.Cols, K = fitted.Fit.Model.K, RegCovar = fitted.RegCovar, Converged = fitted.Fit.Converged, TrainMeanLogLikelihood = fitted.Fit.MeanLogLikelihood,
                Selection = fitted.Selection, Flagged = confusion.TruePositive + confusion.FalsePositive,
                Precision = confusion.Precision, Recall = confusion.Recall, F1 = confusion.F1, RocAuc = roc, PrAuc = pr,
                Files = Export(s, $"dagmm-seed{seed}", trainMatrix, testMatrix, normal),
            };
            log?.Invoke($"dagmm: seed {seed}: K={c.K} reg_covar={c.RegCovar:G3} F1 {c.F1:F4} ROC AUC {c.RocAuc:F4}");
            cases.Add(c);
        }
        return Report(EvalProtocol.Dagmm, s, selection, spec, cases,
            $"normal traffic positive; flag the {s.Contamination:P0} lowest-likelihood test rows", "normal", DagmmPublished);
    }

    /// <summary>
    /// subsets: scikit-learn's SA, SF, http, smtp (<see cref="KddSubsets"/>), attacks positive. Default (novelty
    /// detection, as DAGMM): a seeded 50/50 split of each subset, the mixture fitted on the normal rows of the training
    /// half, the test half scored. With <see cref="EvalSettings.SubsetsUnsupervised"/> the mixture is fitted on the
    /// whole subset and scores it (scikit-learn's outlier benchmark setting) — there the dense, duplicated attack
    /// clusters get components of their own and rank as normal. SA's 41 features go through the preset (fitted on
    /// the training rows).
    /// </summary>
    public static EvalReport Subsets(KddTable table, EvalSettings s, Action<string>? log = null)
    {
        s.Validate();
        var spec = s.Spec ?? PreprocessingSpec.Preset(ProtocolDefaults.Preset(EvalProtocol.Subsets));
        var selection = ProtocolDefaults.Resolve(EvalProtocol.Subsets, s);
        var scoring = ProtocolDefaults.Scoring(EvalProtocol.Subsets, s);
        var repeats = ProtocolDefaults.Repeats(EvalProtocol.Subsets, s);
        var cases = new List<EvalCase>();
        foreach (var subset in s.Subsets ?? KddSubsets.Report(s.SubsetsUnsupervised))
            for (var r = 0; r < repeats; r++)
            {
                var seed = s.Seed + r;
                var rows = KddSubsets.Build(table, subset, seed);
                int[] trainIdx, testIdx;
                if (s.SubsetsUnsupervised) trainIdx = testIdx = Enumerable.Range(0, rows.SourceRows.Length).ToArray();
                else
                {
                    var (train, test) = RowSplit.Halves(rows.SourceRows.Length, seed);
                    trainIdx = train.Where(i => !rows.Attack[i]).ToArray();
                    testIdx = test;
                }
                var (trainMatrix, testMatrix) = rows.Features is { } features
                    ? (Rows(features, trainIdx), Rows(features, testIdx))
                    : PreprocessSa(table, rows, trainIdx, testIdx, spec);
                var attack = testIdx.Select(i => rows.Attack[i]).ToArray();
                var name = KddSubsets.Name(subset);
                log?.Invoke($"subsets: {name} (seed {seed}): fit on {trainMatrix.Rows} rows x {trainMatrix.Cols}, test {testMatrix.Rows} rows, {attack.Count(a => a)} attacks; scoring {scoring.ToString().ToLowerInvariant()}");
                var fitted = ModelRunner.Fit(scoring, trainMatrix, s.K ?? 1, selection, seed, s, log);
                var scores = ModelRunner.Score(scoring, fitted.Fit.Model, testMatrix, s.Threads);
                var (roc, pr) = ModelRunner.Areas(scores, attack);
                log?.Invoke($"subsets: {name} (seed {seed}): K={fitted.Fit.Model.K}, ROC AUC {roc:F4}");
                cases.Add(new EvalCase
                {
                    Name = name, Seed = seed, TrainRows = trainMatrix.Rows, TrainDistinct = fitted.FittedRows, TestRows = testMatrix.Rows, TestPositives = attack.Count(a => a),
                    D = trainMatrix.Cols, K = fitted.Fit.Model.K, RegCovar = fitted.RegCovar, Converged = fitted.Fit.Converged, TrainMeanLogLikelihood = fitted.Fit.MeanLogLikelihood,
                    Selection = fitted.Selection, RocAuc = roc, PrAuc = pr,
                    Files = Export(s, $"subset-{name}-seed{seed}", trainMatrix, s.SubsetsUnsupervised ? null : testMatrix, attack),
                });
            }
        var rule = scoring switch
        {
            Scoring.Records => "fitted on distinct records; score log p(x) + log P(multiplicity)",
            Scoring.Mahalanobis => "fitted on distinct records; score log Σ_k w_k exp(−½ Mahalanobis²) + log P(multiplicity)",
            Scoring.Capped => "fitted on distinct records; score log Σ_k w_k exp(min(log det U_k, typical) − ½ Mahalanobis²) + log P(multiplicity)",
            _ => "score log-likelihood",
        };
        return Report(EvalProtocol.Subsets, s, selection, spec, cases, s.SubsetsUnsupervised
            ? $"unsupervised on each whole subset, {rule}; ROC/PR AUC, attacks positive"
            : $"50/50 split of each subset; fit on the training half's normal rows, {rule}; ROC/PR AUC on the test half, attacks positive", scoring: scoring);
    }

    private static DataMatrix Rows(DataMatrix m, int[] rows)
    {
        var values = new double[rows.Length * m.Cols];
        for (var i = 0; i < rows.Length; i++) m.Row(rows[i]).CopyTo(values.AsSpan(i * m.Cols));
        return new DataMatrix(values, rows.Length, m.Cols);
    }

    /// <summary>
    /// nslkdd: preprocessing and mixture fitted on the normal rows of TRAIN; TEST (any KDD-format file, e.g.
    /// NSL-KDD's KDDTest+ with its difficulty column) scored; ROC/PR AUC with attacks positive, and precision/recall
    /// at mean − StdK·std of the training scores.
    /// </summary>
    public static EvalReport NslKdd(KddTable train, KddTable test, EvalSettings s, Action<string>? log = null)
    {
        s.Validate();
        // Any labelled pair of tables, not only KDD's: without the 41 KDD features, the generic preset (as run would).
        var isKdd = KddSchema.HasFeatures(train.Columns.Select(c => c.Name));
        var spec = s.Spec ?? PreprocessingSpec.Preset(isKdd ? ProtocolDefaults.Preset(EvalProtocol.NslKdd) : ProtocolDefaults.GenericPreset);
        var selection = ProtocolDefaults.Resolve(EvalProtocol.NslKdd, s);
        var normalRows = Enumerable.Range(0, train.Count).Where(train.IsNormal).ToArray();
        if (normalRows.Length == 0) throw new ArgumentException("TRAIN has no rows of normal traffic (labelled normal, BENIGN or 0) to fit on");
        var trainBatch = KddTable.Take(train.Batch, normalRows);
        var preprocessor = Preprocessor.Fit(() => [trainBatch], train.Columns, spec);
        var trainKept = preprocessor.SelectRows(trainBatch, null, out _);
        var testRows = preprocessor.SelectRows(test.Batch, null, out _);
        var extra = s.TrainVocabularyOnly ? UnseenCategoryColumns.Build(preprocessor, []) : UnseenCategoryColumns.Build(preprocessor, [train.Batch, test.Batch]);
        var trainMatrix = extra.Append(preprocessor.Transform(trainBatch, trainKept), trainBatch, trainKept);
        var testMatrix = extra.Append(preprocessor.Transform(test.Batch, testRows), test.Batch, testRows);
        log?.Invoke($"nslkdd: fit on {trainMatrix.Rows} normal rows x {trainMatrix.Cols}, test {testMatrix.Rows} rows");
        var fitted = ModelRunner.Fit([trainMatrix], s.K ?? 1, selection, s.Seed, s, log);
        var threshold = ModelRunner.MeanMinusKStd(ModelRunner.Score(fitted.Fit.Model, trainMatrix, s.Threads), s.StdK);
        var scores = ModelRunner.Score(fitted.Fit.Model, testMatrix, s.Threads);
        var attack = testRows.Select(r => !test.IsNormal(r)).ToArray();
        var confusion = BinaryClassification.Confusion(ModelRunner.FlagBelow(scores, threshold), attack);
        var (roc, pr) = ModelRunner.Areas(scores, attack);
        var c = new EvalCase
        {
            Name = "test", Seed = s.Seed, TrainRows = trainMatrix.Rows, TestRows = testMatrix.Rows, TestPositives = confusion.ActualPositive,
            D = trainMatrix.Cols, K = fitted.Fit.Model.K, RegCovar = fitted.RegCovar, Converged = fitted.Fit.Converged, TrainMeanLogLikelihood = fitted.Fit.MeanLogLikelihood,
            Selection = fitted.Selection, Flagged = confusion.TruePositive + confusion.FalsePositive, Threshold = threshold,
            Precision = confusion.Precision, Recall = confusion.Recall, F1 = confusion.F1, RocAuc = roc, PrAuc = pr,
            Files = Export(s, "nslkdd", trainMatrix, testMatrix, attack),
        };
        return Report(EvalProtocol.NslKdd, s, selection, spec, [c],
            $"train on normal rows of TRAIN; flag test log-likelihood < mean - {s.StdK}*std of the training scores");
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Save(EvalReport report, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(report, Json));

    private static (DataMatrix Train, DataMatrix Test) PreprocessSa(KddTable table, SubsetRows rows, int[] trainIdx, int[] testIdx, PreprocessingSpec spec)
    {
        var train = KddTable.Take(table.Batch, trainIdx.Select(i => rows.SourceRows[i]).ToArray());
        var test = KddTable.Take(table.Batch, testIdx.Select(i => rows.SourceRows[i]).ToArray());
        var preprocessor = Preprocessor.Fit(() => [train], table.Columns, spec);
        DataMatrix Transform(ColumnBatch batch)
        {
            var kept = preprocessor.SelectRows(batch, null, out var dropped);
            if (dropped > 0) throw new ArgumentException($"SA: {dropped} rows have missing values; use a preset that imputes them");
            return preprocessor.Transform(batch, kept);
        }
        return (Transform(train), Transform(test));
    }

    /// <summary>The matrix cut at the table's shard boundaries (when every row was kept), so the fit matches `distgmm run`.</summary>
    private static IReadOnlyList<DataMatrix> Partition(DataMatrix matrix, KddTable table, int[] kept)
    {
        if (kept.Length != table.Count || table.ShardRowCounts.Count <= 1) return [matrix];
        var parts = new List<DataMatrix>();
        var start = 0;
        foreach (var rows in table.ShardRowCounts)
        {
            if (rows > 0) parts.Add(matrix.Slice(start, rows));
            start += rows;
        }
        return parts;
    }

    private static ExportedCase? Export(EvalSettings s, string name, DataMatrix train, DataMatrix? test, bool[] testPositive)
    {
        if (s.ExportDir is null) return null;
        Directory.CreateDirectory(s.ExportDir);
        var files = new ExportedCase($"{name}.train.npy", test is null ? $"{name}.train.npy" : $"{name}.test.npy", $"{name}.y.npy");
        NpyFile.Write(Path.Combine(s.ExportDir, files.Train), train);
        if (test is not null) NpyFile.Write(Path.Combine(s.ExportDir, files.Test), test);
        NpyFile.Write(Path.Combine(s.ExportDir, files.TestPositive), testPositive);
        return files;
    }

    private static EvalReport Report(EvalProtocol protocol, EvalSettings s, ResolvedSelection selection, PreprocessingSpec spec, IReadOnlyList<EvalCase> cases,
        string rule, string positive = "attack", IReadOnlyList<PublishedResult>? published = null, Scoring scoring = Scoring.Rows) => new()
    {
        Scoring = scoring.ToString().ToLowerInvariant(),
        Protocol = protocol.ToString().ToLowerInvariant(),
        Data = [],
        Preset = spec.Name,
        Covariance = s.Covariance.ToString().ToLowerInvariant(),
        K = selection.Searches ? null : cases[0].K,
        SelectK = selection.Searches ? selection.Ks : null,
        SelectRegCovar = selection.Searches ? selection.RegCovars : null,
        SelectBy = selection.Searches ? selection.By.ToString().ToLowerInvariant() : null,
        PositiveClass = positive,
        Rule = rule,
        Contamination = s.Contamination,
        StdK = s.StdK,
        MaxIter = s.MaxIter,
        Tol = s.Tol,
        RegCovar = selection.Searches && selection.RegCovars is not null ? null : selection.RegCovars?[0] ?? selection.RegCovar,
        Cases = cases,
        Summary = ModelRunner.Summarise(cases),
        // Per set only where a set has several cases (subsets over seeds); dagmm's cases are one set, its seeds.
        Sets = cases.Select(c => c.Name).Distinct().Count() is var names && names > 1 && names < cases.Count
            ? [.. cases.GroupBy(c => c.Name).Select(g => new SetSummary(g.Key, ModelRunner.Summarise(g.ToList())))]
            : [],
        Published = published ?? [],
    };
}
