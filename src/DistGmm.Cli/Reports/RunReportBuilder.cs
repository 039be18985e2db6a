using System.Globalization;
using System.Text.Json;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Data.Parquet;
using DistGmm.Reporting;

namespace DistGmm.Cli.Reports;

/// <summary>
/// Builds report.html's data from what a run folder holds (model.json, summary.json, scores.parquet, timeline.json) and
/// from the dataset it scored (raw src_bytes/dst_bytes/duration of a sample of rows, missing values).
/// </summary>
public static class RunReportBuilder
{
    /// <summary>Rows whose raw features are read for the scatter plots (the writer samples further for drawing).</summary>
    private const int PlotSample = 20_000;
    private const int MissingSampleRows = 400;

    /// <param name="runId">The run's name in the report (default: the folder's name; a job writing into its staging
    /// folder gives the name the folder will have).</param>
    public static string WriteReport(string runDir, string datasetDir, string? title = null, string? runId = null)
    {
        var data = Build(runDir, datasetDir, title, runId);
        var path = Path.Combine(runDir, "report.html");
        // Written beside and renamed over: a reader never sees half a report.
        var temp = path + ".tmp";
        ReportWriter.Write(data, temp);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    public static ReportData Build(string runDir, string datasetDir, string? title = null, string? runId = null)
    {
        var model = ModelFile.Load(Path.Combine(runDir, "model.json"));
        var manifest = DatasetManifest.Load(datasetDir);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        var s = summary.RootElement;

        var scores = ReadScores(Path.Combine(runDir, "scores.parquet"));
        var threshold = model.Threshold ?? Number(s, "threshold") ?? double.NaN;
        var hasLabels = scores.Labels is not null && manifest.LabelCounts.Count > 0;
        var normal = NormalLabel(manifest);
        bool[]? actual = hasLabels ? scores.Labels!.Select(l => l is not null && !KddSchema.IsNormalLabel(l)).ToArray() : null;
        // One class only (all attacks, or all normal): the curves are undefined; the report says so instead of failing.
        var attacks = actual?.Count(a => a) ?? 0;
        var evaluationNote = actual is null ? null : DetectionMetrics.UndefinedNote(attacks, actual.Length - attacks);

        var facts = new List<KeyValuePair<string, string>>
        {
            new("source", manifest.Source + (manifest.Synthetic ? " (synthetic)" : "")),
            new("records scored", scores.Score.Length.ToString("N0", CultureInfo.InvariantCulture)),
            new("features", model.FeatureNames.Count.ToString(CultureInfo.InvariantCulture)),
            new("components (K)", model.Model.K.ToString(CultureInfo.InvariantCulture)),
            new("covariance", ModelFile.CovarianceName(model.Model.CovarianceType)),
            new("init", model.Init ?? "-"),
            new("EM iterations", $"{model.Iterations} ({(model.Converged ? "converged" : "not converged")})"),
            Number(s, "meanLogDensity") is { } density
                ? new("mean log-density (volume-neutral)", Fmt(density))
                : new("mean log-likelihood", Fmt(Number(s, "meanLogLikelihood"))),
            new("threshold", $"{Fmt(threshold)} ({model.ThresholdRule ?? "mean − 2·std"})"),
            new("anomalies", $"{scores.Anomaly.Count(a => a):N0}"),
        };
        if (Number(s, "meanLogPMultiplicity") is { } logPm)
            facts.Insert(facts.FindIndex(f => f.Key == "threshold"), new("mean log P(multiplicity)", $"{Fmt(logPm)} (score = log-likelihood + this term)"));
        foreach (var (key, label) in new[] { ("precision", "precision"), ("recall", "recall"), ("f1", "F1"), ("rocAuc", "ROC AUC") })
            if (Number(s, key) is { } v) facts.Add(new(label, Fmt(v, 4)));
        if (Number(s, "workers") is { } w) facts.Add(new("workers", w.ToString(CultureInfo.InvariantCulture)));
        if (Number(s, "secondsTrain") is { } st) facts.Add(new("training time", $"{st:F2} s"));
        if (Number(s, "secondsScore") is { } ss) facts.Add(new("scoring time", $"{ss:F2} s"));

        return new ReportData
        {
            Title = title ?? $"DistGmm anomaly report — {Path.GetFileName(manifest.Source)}",
            RunId = runId ?? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd('/')),
            FinishedAt = File.GetLastWriteTimeUtc(Path.Combine(runDir, "summary.json")),
            Facts = facts,
            Points = ReadPoints(manifest, scores),
            Missing = ReadMissing(manifest),
            LowerBound = model.LowerBoundHistory,
            Scores = new ScoreDistribution(scores.Score, threshold, actual),
            ModelSelection = model.Candidates.Count > 1 ? model.Candidates.Select(c => new ModelSelectionPoint(c.K, c.Bic, c.Aic)).ToList() : [],
            SelectedK = model.Candidates.Count > 1 ? model.Model.K : null,
            Evaluation = actual is null || evaluationNote is not null ? null : LabelEvaluation.FromScores(scores.Score, scores.Anomaly, actual, scores.Labels!, normal),
            EvaluationNote = evaluationNote,
            Timeline = ClusterTimelineBuilder.Load(runDir),
            PassTimings = ReadPassTimings(Path.Combine(runDir, RunFolderWriter.EventsLogFile)),
            Flagged = ReadFlagged(Path.Combine(runDir, RunFolderWriter.AnomaliesParquetFile), FlaggedShown),
            FlaggedTotal = scores.Anomaly.LongCount(a => a),
        };
    }

    /// <summary>The passes' timing lines of events.log ("TIME pass N timed: …"), in order; none without events.log.</summary>
    private static IReadOnlyList<PassTimingPoint> ReadPassTimings(string eventsLog) => !File.Exists(eventsLog) ? [] :
    [
        .. File.ReadLines(eventsLog)
            .Select(line => line.IndexOf(' ', StringComparison.Ordinal) is var space and > 0 ? PassTimed.Parse(default, line[(space + 1)..]) : null)
            .OfType<PassTimed>()
            .Select(p => new PassTimingPoint(p.Wall.TotalSeconds, p.SlowestWorker.TotalSeconds, p.FastestWorker.TotalSeconds)),
    ];

    private sealed record Scores(long[] RowIds, double[] Score, bool[] Anomaly, string?[]? Labels);

    /// <summary>Flagged records listed, with their explanation, in the report.</summary>
    private const int FlaggedShown = 25;

    /// <summary>The first (most anomalous) rows of anomalies.parquet with their explanation columns, when present.</summary>
    private static IReadOnlyList<FlaggedRecord> ReadFlagged(string path, int count)
    {
        if (!File.Exists(path)) return [];
        using var reader = ParquetFileReader.Open(path);
        var result = new List<FlaggedRecord>();
        bool Has(string column) => reader.Schema.IndexOf(column) >= 0;
        for (var g = 0; g < reader.RowGroupCount && result.Count < count; g++)
        {
            var ids = reader.ReadColumn(g, "rowId");
            var score = reader.ReadColumn(g, "score");
            var label = Has("label") ? reader.ReadColumn(g, "label") : null;
            var copies = Has(RunFolderWriter.MultiplicityColumn) ? reader.ReadColumn(g, RunFolderWriter.MultiplicityColumn) : null;
            var component = Has("component") ? reader.ReadColumn(g, "component") : null;
            var weight = Has("componentWeight") ? reader.ReadColumn(g, "componentWeight") : null;
            var unlikely = Has("unlikelyFeatures") ? reader.ReadColumn(g, "unlikelyFeatures") : null;
            var reason = Has("reason") ? reader.ReadColumn(g, "reason") : null;
            for (var i = 0; i < ids.Count && result.Count < count; i++)
                result.Add(new FlaggedRecord(ids.Int64s![i], score.GetDouble(i), label?.Strings![i], copies?.Int64s![i],
                    component is null || component.IsNull(i) ? null : (int)component.Int64s![i],
                    weight is null || weight.IsNull(i) ? null : weight.GetDouble(i), unlikely?.Strings![i], reason?.Strings![i]));
        }
        return result;
    }

    private static Scores ReadScores(string path)
    {
        using var reader = ParquetFileReader.Open(path);
        var n = checked((int)reader.TotalRows);
        var rowIds = new long[n];
        var score = new double[n];
        var anomaly = new bool[n];
        var hasLabel = reader.Schema.IndexOf("label") >= 0;
        var labels = hasLabel ? new string?[n] : null;
        var offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var ids = reader.ReadColumn(g, "rowId");
            var sc = reader.ReadColumn(g, "score");
            var an = reader.ReadColumn(g, "anomaly");
            var groupLabels = labels is null ? null : reader.ReadColumn(g, "label").Strings;
            for (var i = 0; i < ids.Count; i++)
            {
                if (sc.IsNull(i)) continue; // an unscorable row: counted in summary.json, not part of the distribution
                rowIds[offset] = ids.Int64s![i];
                score[offset] = sc.GetDouble(i);
                anomaly[offset] = an.Booleans![i];
                if (labels is not null) labels[offset] = groupLabels![i];
                offset++;
            }
        }
        return offset == n ? new Scores(rowIds, score, anomaly, labels)
            : new Scores(rowIds[..offset], score[..offset], anomaly[..offset], labels?[..offset]);
    }

    private static readonly string[] NotebookAxes = ["src_bytes", "dst_bytes", "duration"];

    /// <summary>
    /// The plots' three columns: the notebook's src_bytes, dst_bytes and duration; for other data the first three numeric
    /// columns that are never negative (log axes) and go beyond 1 (counts, bytes, durations, where the log axes help),
    /// then ones within [0, 1]; null when fewer than three such columns exist.
    /// </summary>
    internal static (string[] Columns, string? Note)? PlotAxes(DatasetManifest manifest)
    {
        if (NotebookAxes.All(c => manifest.Columns.Any(x => x.Name == c))) return (NotebookAxes, null);
        var nonNegative = manifest.ColumnSummaries.Where(c => c.Role == ColumnRole.Numeric && c.Min >= 0).ToList();
        var chosen = nonNegative.Where(c => c.Max > 1).Concat(nonNegative.Where(c => !(c.Max > 1))).Take(3).Select(c => c.Name).ToArray();
        return chosen.Length < 3 ? null
            : (chosen, "The data has no src_bytes, dst_bytes and duration: the axes are its first non-negative numeric columns (those beyond 1 first).");
    }

    /// <summary>Raw values of the plot columns (<see cref="PlotAxes"/>) of a seeded sample of the scored rows (all anomalies kept up to half the budget).</summary>
    private static RecordPoints? ReadPoints(DatasetManifest manifest, Scores scores)
    {
        if (PlotAxes(manifest) is not var (needed, axesNote)) return null;
        var anomalies = Enumerable.Range(0, scores.Score.Length).Where(i => scores.Anomaly[i]).ToArray();
        var keepAnomalies = anomalies.Length <= PlotSample / 2 ? anomalies : Sampling.Indices(anomalies.Length, PlotSample / 2).Select(i => anomalies[i]).ToArray();
        // The rest of the budget from the normal rows only (a sample of all rows would spend some of it on anomalies
        // already kept): a run of up to PlotSample rows passes every row.
        var normal = Enumerable.Range(0, scores.Score.Length).Where(i => !scores.Anomaly[i]).ToArray();
        var rest = Sampling.Indices(normal.Length, PlotSample - keepAnomalies.Length).Select(i => normal[i]);
        var chosen = keepAnomalies.Concat(rest).ToArray();
        var wanted = new Dictionary<long, int>(chosen.Length);
        foreach (var i in chosen) wanted[scores.RowIds[i]] = i;

        var src = new List<double>(); var dst = new List<double>(); var dur = new List<double>(); var flag = new List<bool>();
        var missing = 0;
        for (var shard = 0; shard < manifest.Shards.Count; shard++)
        {
            using var reader = ParquetFileReader.Open(manifest.ShardPath(shard));
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var ids = reader.ReadColumn(g, "rowId").Int64s!;
                var cols = needed.Select(c => reader.ReadColumn(g, c)).ToArray();
                for (var r = 0; r < cols[0].Count; r++)
                {
                    if (!wanted.TryGetValue(ids[r], out var scoreIndex)) continue;
                    var (x, y, z) = (cols[0].GetDouble(r), cols[1].GetDouble(r), cols[2].GetDouble(r));
                    if (double.IsNaN(x) || double.IsNaN(y) || double.IsNaN(z)) { missing++; continue; } // no place on an axis
                    src.Add(x); dst.Add(y); dur.Add(z);
                    flag.Add(scores.Anomaly[scoreIndex]);
                }
            }
        }
        return new RecordPoints([.. src], [.. dst], [.. dur], [.. flag], scores.Score.Length,
            $"all anomalies (up to {PlotSample / 2:N0}) plus a seeded uniform sample, {src.Count:N0} rows in all" +
            (missing > 0 ? $" ({missing:N0} more with a missing value on an axis are not drawn)" : ""),
            needed[0], needed[1], needed[2], axesNote);
    }

    /// <summary>Missing counts per column from the manifest, and the missing flags of the first rows of shard 0 for the matrix picture.</summary>
    private static MissingValues ReadMissing(DatasetManifest manifest)
    {
        var columns = manifest.ColumnSummaries.Where(c => c.Role != ColumnRole.RowId).ToList();
        var sample = new List<bool[]>();
        if (manifest.Shards.Count > 0)
        {
            var batch = ShardLoader.ReadRaw(manifest.ShardPath(0));
            var step = Math.Max(1, batch.Count / MissingSampleRows);
            var index = columns.Select(c => batch.IndexOf(c.Name)).ToArray();
            for (var r = 0; r < batch.Count && sample.Count < MissingSampleRows; r += step)
                sample.Add(index.Select(c => c >= 0 && batch.GetValue(r, c) is null or double.NaN).ToArray());
        }
        return new MissingValues(columns.Select(c => c.Name).ToList(), manifest.TotalRows, columns.Select(c => c.Missing).ToList(), sample);
    }

    private static string NormalLabel(DatasetManifest manifest) =>
        manifest.LabelCounts.Keys.FirstOrDefault(KddSchema.IsNormalLabel) ?? "normal";

    private static double? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Fmt(double? x, int digits = 6) => x is { } v ? v.ToString("G" + digits, CultureInfo.InvariantCulture) : "-";
}
