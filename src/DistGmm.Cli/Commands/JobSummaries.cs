using System.Globalization;
using DistGmm.Cli.Console;
using DistGmm.Cluster;
using DistGmm.Data;

namespace DistGmm.Cli.Commands;

/// <summary>The tables printed when a job ends.</summary>
internal static class JobSummaries
{
    public static void PrintTrain(Terminal terminal, TrainOutcome t)
    {
        var rows = new List<(string, string)>
        {
            ("model", t.ModelPath),
            ("K / covariance", $"{t.Model.Model.K} / {ModelFile.CovarianceName(t.Model.Model.CovarianceType)}"),
            ("features", t.Model.FeatureNames.Count.ToString(CultureInfo.InvariantCulture)),
            ("iterations", $"{t.Fit.Iterations} ({(t.Fit.Converged ? "converged" : "NOT converged: raise --max-iter")})"),
            ("lower bound", Format.Number(t.Fit.LowerBound, 10)),
            ("workers", t.WorkerCounts?.ToString() ?? t.Workers.ToString(CultureInfo.InvariantCulture)),
            ("time", Format.Seconds(t.Elapsed)),
        };
        if (t.Candidates.Count > 1)
            foreach (var c in t.Candidates)
                rows.Add(($"BIC K={c.Model.K}", Format.Number(c.Bic, 10) + (c.Model.K == t.Model.Model.K ? "  (chosen)" : "")));
        terminal.Summary("Trained", rows);
        // A column a rule over the data left out (too many categories, too many missing values) is said, never silent.
        if (t.Model.PreprocessorJson is { } json)
            foreach (var dropped in Preprocessor.FromJson(json).Report.DroppedColumns.Where(d => d.ByData))
                terminal.Error.WriteLine($"distgmm: warning: column '{dropped.Column}' is not a feature: {dropped.Reason}");
    }

    /// <summary>The outcome with the paths its files have once the run folder is committed.</summary>
    public static ScoreOutcome Published(ScoreOutcome s, RunFolder folder) => s with
    {
        OutDir = folder.Final, ScoresPath = folder.Published(s.ScoresPath), AnomaliesParquetPath = folder.Published(s.AnomaliesParquetPath),
        AnomaliesCsvPath = folder.Published(s.AnomaliesCsvPath), SummaryPath = folder.Published(s.SummaryPath), ModelPath = folder.Published(s.ModelPath),
    };

    public static void PrintScore(Terminal terminal, ScoreOutcome s, string? reportPath)
    {
        var m = s.Summary;
        var rows = new List<(string, string)>
        {
            ("rows", Format.Count(m.Rows)),
            ("anomalies", $"{Format.Count(m.Anomalies)} ({Format.Fixed(100.0 * m.Anomalies / Math.Max(1, m.Rows), 3)}%)"),
            ("threshold", $"{Format.Number(m.Threshold, 8)} ({m.ThresholdRule})"),
            ("score mean / std", $"{Format.Number(m.ScoreMean, 8)} / {Format.Number(m.ScoreStd, 8)}"),
            // As summary.json has it: over the whole run in a run, including workers lost while scoring.
            ("workers", m.WorkerCounts?.ToString() ?? m.Workers.ToString(CultureInfo.InvariantCulture)),
        };
        if (m.Metrics is { Note: { } undefined }) rows.Add(("labels", undefined)); // one class only: no rates to give
        else if (m.Metrics is { } e)
        {
            rows.Add(("precision / recall / F1", $"{Format.Fixed(e.Precision, 4)} / {Format.Fixed(e.Recall, 4)} / {Format.Fixed(e.F1, 4)} (attack = positive)"));
            rows.Add(("ROC AUC", Format.Fixed(e.RocAuc, 4)));
        }
        rows.Add(("scores", s.ScoresPath));
        rows.Add(("anomalies", s.AnomaliesCsvPath));
        rows.Add(("summary", s.SummaryPath));
        if (reportPath is not null) rows.Add(("report", reportPath));
        rows.Add(("time", Format.Seconds(s.Elapsed)));
        terminal.Summary("Scored", rows);
        // Rows left out anywhere are never silent: one line, the counts are in summary.json.
        if (m.Counts?.Warning(m.Scoring) is { } warning) terminal.Error.WriteLine($"distgmm: warning: {warning}");
    }
}
