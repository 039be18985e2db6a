using System.Globalization;
using System.Text;
using System.Text.Json;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Numerics.Evaluation;
using DistGmm.Data.Parquet;

namespace DistGmm.Cluster;

/// <summary>Detection quality against the labels (attack = positive, lower score = more anomalous). A metric the labels
/// leave undefined is NaN, and <paramref name="Note"/> says why (e.g. every labelled row is an attack).</summary>
public sealed record DetectionMetrics(long LabelledRows, double Precision, double Recall, double F1, double RocAuc, double AveragePrecision,
    string? Note = null)
{
    /// <summary>Why ROC AUC and average precision are undefined for these labels, or null when both classes occur.</summary>
    public static string? UndefinedNote(long attacks, long normals) =>
        attacks > 0 && normals > 0 ? null
        : $"every labelled row is {(attacks > 0 ? "an attack" : "normal")} ({attacks + normals} rows): label metrics that need both attack and normal rows are left out";
}

/// <summary>
/// Who did the work, from the coordinators' membership: <paramref name="TookPart"/> distinct workers joined, the first
/// job was placed on <paramref name="AtStart"/>, <paramref name="AtEnd"/> were members when the last job finished, and
/// a member was lost <paramref name="Lost"/> times.
/// </summary>
public sealed record WorkerCounts(int TookPart, int AtStart, int AtEnd, int Lost)
{
    public static WorkerCounts Of(CoordinatorState state) =>
        new(state.JoinedWorkers.Count, state.WorkersAtPlacement, state.Workers.Count, state.WorkersLost);

    /// <summary>A run's training job then its scoring job (a worker is counted once, by id, across both).</summary>
    public static WorkerCounts Of(CoordinatorState first, CoordinatorState then) =>
        new(first.JoinedWorkers.Union(then.JoinedWorkers, StringComparer.Ordinal).Count(), first.WorkersAtPlacement, then.Workers.Count,
            first.WorkersLost + then.WorkersLost);

    /// <summary>"2", or when membership changed "3 (2 at start, 1 at end, 2 lost)".</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{TookPart}{(TookPart == AtStart && AtStart == AtEnd && Lost == 0 ? "" : $" ({AtStart} at start, {AtEnd} at end, {Lost} lost)")}");
}

/// <summary>The contents of summary.json (keys camelCase as documented in the issue, plus formatVersion).</summary>
/// <param name="MeanLogLikelihood">The rows' mean log-density under the scoring's mixture: log p(x), written as
/// meanLogLikelihood; under mahalanobis and capped that of the reweighted mixture, which is not a likelihood: meanLogDensity.</param>
public sealed record RunSummary(long Rows, long Anomalies, double Threshold, string ThresholdRule, double ScoreMean, double ScoreStd,
    double MeanLogLikelihood, int Iterations, bool Converged, int K, CovarianceType CovarianceType, int Workers,
    double? SecondsTrain, double SecondsScore, DetectionMetrics? Metrics, RowCounts? Counts = null)
{
    /// <summary>How the rows were scored (records: log p(x) + log P(m), the model fitted on distinct records).</summary>
    public Scoring Scoring { get; init; } = Scoring.Rows;

    /// <summary>Membership over the run; null: only <see cref="Workers"/> is known.</summary>
    public WorkerCounts? WorkerCounts { get; init; }

    /// <summary>The dataset folder scored (full path), so that `distgmm report` finds it when it is not RUN_DIR/dataset.</summary>
    public string? Dataset { get; init; }

    /// <summary>Records scorings: the rows' mean multiplicity term, mean log P(m) (scoreMean = meanLogLikelihood, or meanLogDensity, + this).</summary>
    public double? MeanLogPMultiplicity { get; init; }

    public const int CurrentFormatVersion = 1;

    /// <summary>Sets one top-level object of a written summary.json (a recorder's report), escaping as <see cref="ToJson"/> does.</summary>
    public static void SetSection(string summaryPath, string name, System.Text.Json.Nodes.JsonNode section)
    {
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(summaryPath))!.AsObject();
        summary[name] = section;
        File.WriteAllText(summaryPath, summary.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the reasons and column names used as keys stay readable ('src_bytes', not \u0027src_bytes\u0027).
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("formatVersion", CurrentFormatVersion);
            w.WriteNumber("rows", Rows);
            w.WriteNumber("anomalies", Anomalies);
            if (Dataset is not null) w.WriteString("dataset", Dataset);
            if (Counts is { } c)
            {
                w.WriteNumber("rowsRead", c.Read);
                w.WriteNumber("rowsRejected", c.Rejected);
                if (c.Trained is { } trained) w.WriteNumber("rowsTrained", trained);
                w.WriteNumber("rowsScored", c.Scored);
                w.WriteNumber("rowsUnscorable", c.Unscorable);
                w.WriteStartObject("unscorableReasons");
                foreach (var (reason, count) in c.UnscorableReasons) w.WriteNumber(reason, count);
                w.WriteEndObject();
                w.WriteStartObject("unseenCategories");
                foreach (var (column, count) in c.UnseenCategories) w.WriteNumber(column, count);
                w.WriteEndObject();
            }
            Num(w, "threshold", Threshold);
            w.WriteString("thresholdRule", ThresholdRule);
            w.WriteString("scoring", ModelFile.ScoringName(Scoring));
            Num(w, "scoreMean", ScoreMean);
            Num(w, "scoreStd", ScoreStd);
            Num(w, Scoring.Reweights() ? "meanLogDensity" : "meanLogLikelihood", MeanLogLikelihood);
            if (MeanLogPMultiplicity is { } logPm) Num(w, "meanLogPMultiplicity", logPm);
            w.WriteNumber("iterations", Iterations);
            w.WriteBoolean("converged", Converged);
            w.WriteNumber("k", K);
            w.WriteString("covarianceType", ModelFile.CovarianceName(CovarianceType));
            w.WriteNumber("workers", Workers);
            if (WorkerCounts is { } wc)
            {
                w.WriteNumber("workersAtStart", wc.AtStart);
                w.WriteNumber("workersAtEnd", wc.AtEnd);
                w.WriteNumber("workersLost", wc.Lost);
            }
            if (SecondsTrain is { } t) Num(w, "secondsTrain", Math.Round(t, 3)); else w.WriteNull("secondsTrain");
            Num(w, "secondsScore", Math.Round(SecondsScore, 3));
            if (Metrics is { } m)
            {
                w.WriteNumber("labelledRows", m.LabelledRows);
                // An undefined metric is left out (the note says why), not written as "NaN".
                foreach (var (name, value) in new[] { ("precision", m.Precision), ("recall", m.Recall), ("f1", m.F1), ("rocAuc", m.RocAuc), ("averagePrecision", m.AveragePrecision) })
                    if (double.IsFinite(value)) w.WriteNumber(name, value);
                if (m.Note is not null) w.WriteString("labelMetricsNote", m.Note);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, v.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>Writes a scoring job's results into the run folder: scores.parquet, anomalies.parquet, anomalies.csv.</summary>
public static class RunFolderWriter
{
    public const string ScoresFile = "scores.parquet";
    public const string AnomaliesParquetFile = "anomalies.parquet";
    public const string AnomaliesCsvFile = "anomalies.csv";
    public const string SummaryFile = "summary.json";
    public const string ModelFileName = "model.json";
    public const string EventsLogFile = "events.log";

    /// <summary>The scores.parquet column naming why a row has no score (null for every scored row).</summary>
    public const string UnscorableColumn = "unscorable";

    /// <summary>
    /// scores.parquet: rowId, score, anomaly, label when the data has labels, unscorable; one row group per shard, in row
    /// order. Every dataset row is there: a row the model could not score has a null score and its reason.
    /// </summary>
    public static void WriteScores(string path, IReadOnlyList<ShardScored> shards, double threshold,
        IReadOnlyDictionary<int, IReadOnlyList<UnscorableRow>>? unscorable = null)
    {
        var hasLabels = shards.Any(s => s.Labels is not null);
        List<ParquetField> fields = [ParquetField.Int64("rowId"), ParquetField.Double("score", nullable: true), ParquetField.Boolean("anomaly")];
        if (hasLabels) fields.Add(ParquetField.String("label", nullable: true));
        fields.Add(ParquetField.String(UnscorableColumn, nullable: true));
        using var writer = new ParquetFileWriter(path, new ParquetSchema(fields));
        foreach (var shard in shards)
        {
            IReadOnlyList<UnscorableRow> missing = unscorable?.GetValueOrDefault(shard.Shard) ?? [];
            var scored = shard.Scores.Length;
            var n = scored + missing.Count;
            if (n == 0) continue;
            var rowIds = new long[n];
            var scores = new double[n];
            var isNull = new bool[n];
            var anomaly = new bool[n];
            var labels = new string?[n];
            var reasons = new string?[n];
            // Both lists are in row order: merge them.
            for (int i = 0, a = 0, b = 0; i < n; i++)
            {
                if (b < missing.Count && (a == scored || missing[b].RowId < shard.RowIds[a]))
                {
                    rowIds[i] = missing[b].RowId;
                    scores[i] = double.NaN;
                    isNull[i] = true;
                    reasons[i] = missing[b++].Reason;
                    continue;
                }
                rowIds[i] = shard.RowIds[a];
                scores[i] = shard.Scores[a];
                anomaly[i] = scores[i] < threshold;
                labels[i] = shard.Labels?[a];
                a++;
            }
            List<ParquetColumn> columns =
            [
                ParquetColumn.FromInt64s(fields[0], rowIds, n),
                ParquetColumn.FromDoubles(fields[1], scores, n, isNull),
                ParquetColumn.FromBooleans(fields[2], anomaly, n),
            ];
            if (hasLabels) columns.Add(ParquetColumn.FromStrings(fields[3], labels, n));
            columns.Add(ParquetColumn.FromStrings(fields[^1], reasons, n));
            writer.WriteRowGroup(columns);
        }
    }

    /// <summary>The anomalies' column of the records scoring: how many rows of the scored data share the row's values.</summary>
    public const string MultiplicityColumn = "multiplicity";

    /// <summary>The anomalous rows, most anomalous (lowest score) first, ties by row id.</summary>
    public static IReadOnlyList<AnomalyRow> SortedAnomalies(IEnumerable<AnomaliesCollected> collected) =>
        [.. collected.SelectMany(c => c.Rows).OrderBy(r => r.Score).ThenBy(r => r.RowId)];

    /// <summary>The explanation columns of the anomalies files (<see cref="AnomalyNote"/>), after the raw columns.</summary>
    public static readonly IReadOnlyList<string> ExplanationColumns = ["component", "componentWeight", "logDensity", "logPMultiplicity", "unlikelyFeatures", "reason"];

    /// <summary>
    /// anomalies.parquet: rowId, score, label (when present), the raw columns, (records scoring) multiplicity, then
    /// with <paramref name="notes"/> why each row was flagged (<see cref="ExplanationColumns"/>).
    /// </summary>
    public static void WriteAnomaliesParquet(string path, IReadOnlyList<AnomaliesCollected> collected, bool hasLabels, bool withMultiplicity = false,
        IReadOnlyDictionary<long, AnomalyNote>? notes = null)
    {
        var (numeric, text) = Columns(collected);
        var rows = SortedAnomalies(collected);
        List<ParquetField> fields = [ParquetField.Int64("rowId"), ParquetField.Double("score")];
        if (hasLabels) fields.Add(ParquetField.String("label", nullable: true));
        fields.AddRange(numeric.Select(n => ParquetField.Double(n, nullable: true)));
        fields.AddRange(text.Select(t => ParquetField.String(t, nullable: true)));
        if (withMultiplicity) fields.Add(ParquetField.Int64(MultiplicityColumn));
        if (notes is not null)
            fields.AddRange([ParquetField.Int64(ExplanationColumns[0], nullable: true), ParquetField.Double(ExplanationColumns[1], nullable: true),
                ParquetField.Double(ExplanationColumns[2], nullable: true), ParquetField.Double(ExplanationColumns[3], nullable: true),
                ParquetField.String(ExplanationColumns[4], nullable: true), ParquetField.String(ExplanationColumns[5], nullable: true)]);
        using var writer = new ParquetFileWriter(path, new ParquetSchema(fields));
        const int groupRows = 128 * 1024;
        for (var start = 0; start < rows.Count; start += groupRows)
        {
            var n = Math.Min(groupRows, rows.Count - start);
            var slice = rows.Skip(start).Take(n).ToArray();
            var f = 0;
            List<ParquetColumn> columns =
            [
                ParquetColumn.FromInt64s(fields[f++], [.. slice.Select(r => r.RowId)], n),
                ParquetColumn.FromDoubles(fields[f++], [.. slice.Select(r => r.Score)], n),
            ];
            if (hasLabels) columns.Add(ParquetColumn.FromStrings(fields[f++], [.. slice.Select(r => r.Label)], n));
            for (var c = 0; c < numeric.Count; c++)
            {
                var values = slice.Select(r => r.Numbers[c]).ToArray();
                columns.Add(ParquetColumn.FromDoubles(fields[f++], values, n, [.. values.Select(double.IsNaN)]));
            }
            for (var c = 0; c < text.Count; c++)
                columns.Add(ParquetColumn.FromStrings(fields[f++], [.. slice.Select(r => r.Texts[c])], n));
            if (withMultiplicity) columns.Add(ParquetColumn.FromInt64s(fields[f++], [.. slice.Select(r => r.Multiplicity)], n));
            if (notes is not null)
            {
                var note = slice.Select(r => notes.GetValueOrDefault(r.RowId)).ToArray();
                var absent = note.Select(x => x is null).ToArray();
                columns.Add(ParquetColumn.FromInt64s(fields[f++], [.. note.Select(x => (long)(x?.Component ?? 0))], n, absent));
                columns.Add(ParquetColumn.FromDoubles(fields[f++], [.. note.Select(x => x?.ComponentWeight ?? double.NaN)], n, absent));
                columns.Add(ParquetColumn.FromDoubles(fields[f++], [.. note.Select(x => x?.LogDensity ?? double.NaN)], n, absent));
                columns.Add(ParquetColumn.FromDoubles(fields[f++], [.. note.Select(x => x?.LogPMultiplicity ?? double.NaN)], n,
                    [.. note.Select(x => x?.LogPMultiplicity is null)]));
                columns.Add(ParquetColumn.FromStrings(fields[f++], [.. note.Select(x => x?.UnlikelyFeatures)], n));
                columns.Add(ParquetColumn.FromStrings(fields[f++], [.. note.Select(x => x?.Reason)], n));
            }
            writer.WriteRowGroup(columns);
        }
    }

    /// <summary>anomalies.csv: the same columns as anomalies.parquet, RFC 4180, invariant culture, empty for missing.</summary>
    public static void WriteAnomaliesCsv(string path, IReadOnlyList<AnomaliesCollected> collected, bool hasLabels, bool withMultiplicity = false,
        IReadOnlyDictionary<long, AnomalyNote>? notes = null)
    {
        var (numeric, text) = Columns(collected);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
        List<string> header = ["rowId", "score"];
        if (hasLabels) header.Add("label");
        header.AddRange(numeric);
        header.AddRange(text);
        if (withMultiplicity) header.Add(MultiplicityColumn);
        if (notes is not null) header.AddRange(ExplanationColumns);
        writer.WriteLine(string.Join(",", header.Select(Quote)));
        var line = new StringBuilder();
        foreach (var row in SortedAnomalies(collected))
        {
            line.Clear();
            line.Append(row.RowId.ToString(CultureInfo.InvariantCulture)).Append(',').Append(row.Score.ToString("R", CultureInfo.InvariantCulture));
            if (hasLabels) line.Append(',').Append(Quote(row.Label ?? ""));
            foreach (var v in row.Numbers) line.Append(',').Append(double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture));
            foreach (var t in row.Texts) line.Append(',').Append(Quote(t ?? ""));
            if (withMultiplicity) line.Append(',').Append(row.Multiplicity.ToString(CultureInfo.InvariantCulture));
            if (notes is not null)
            {
                if (notes.GetValueOrDefault(row.RowId) is { } n)
                    line.Append(',').Append(n.Component.ToString(CultureInfo.InvariantCulture))
                        .Append(',').Append(n.ComponentWeight.ToString("R", CultureInfo.InvariantCulture))
                        .Append(',').Append(n.LogDensity.ToString("R", CultureInfo.InvariantCulture))
                        .Append(',').Append(n.LogPMultiplicity?.ToString("R", CultureInfo.InvariantCulture) ?? "")
                        .Append(',').Append(Quote(n.UnlikelyFeatures)).Append(',').Append(Quote(n.Reason));
                else line.Append(",,,,,,");
            }
            writer.WriteLine(line);
        }
    }

    /// <summary>Precision/recall/F1 of the anomaly flag and ROC AUC of −score, attack (not a normal label) = positive.</summary>
    public static DetectionMetrics? Metrics(IReadOnlyList<ShardScored> shards, double threshold)
    {
        var labelled = shards.Where(s => s.Labels is not null).SelectMany(s => s.Scores.Select((score, i) => (score, label: s.Labels![i])))
            .Where(x => x.label is not null).ToArray();
        if (labelled.Length == 0) return null;
        var negScore = labelled.Select(x => -x.score).ToArray();
        var actual = labelled.Select(x => !KddSchema.IsNormalLabel(x.label!)).ToArray();
        var predicted = labelled.Select(x => x.score < threshold).ToArray();
        var confusion = BinaryClassification.Confusion(predicted, actual);
        var attacks = actual.Count(a => a);
        var note = DetectionMetrics.UndefinedNote(attacks, actual.Length - attacks);
        return new DetectionMetrics(labelled.Length, confusion.Precision, confusion.Recall, confusion.F1,
            note is null ? BinaryClassification.RocAuc(negScore, actual) : double.NaN,
            note is null ? BinaryClassification.AveragePrecision(negScore, actual) : double.NaN, note);
    }

    private static (IReadOnlyList<string> Numeric, IReadOnlyList<string> Text) Columns(IReadOnlyList<AnomaliesCollected> collected)
    {
        var first = collected.FirstOrDefault();
        return first is null ? ([], []) : (first.NumericColumns, first.TextColumns);
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
