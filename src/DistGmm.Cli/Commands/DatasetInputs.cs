using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Data;

namespace DistGmm.Cli.Commands;

/// <summary>Resolves a command's DATA argument: an ingested dataset folder, or a file to ingest first.</summary>
public static class DatasetInputs
{
    /// <summary>
    /// DATA is used as it is when it holds manifest.json; any other existing file or folder is ingested into
    /// <paramref name="ingestDir"/> first.
    /// </summary>
    /// <summary>`--on-bad-row fail|skip` of the commands that ingest a data file on the way (ingest itself, train, run, score).</summary>
    public static Option<BadRowPolicy> OnBadRowOption() => new("--on-bad-row")
    {
        Description = "A malformed row of a data file: fail (default) stops at it naming file, line and column; skip counts it and sets it " +
                      "aside in the dataset's rejects.tsv.",
        DefaultValueFactory = _ => BadRowPolicy.Fail,
    };

    /// <summary>`--schema FILE` of the commands that ingest a data file on the way: column roles by name (JSON).</summary>
    public static Option<string?> SchemaOption() => new("--schema")
    {
        Description = "Schema file (JSON) overriding the inferred column roles of a data file, e.g. which of two label-like columns is the label.",
    };

    public static DatasetManifest OpenOrIngest(Terminal terminal, string data, string ingestDir, int shards = 8, CancellationToken ct = default,
        BadRowPolicy onBadRow = BadRowPolicy.Fail, string? schemaFile = null)
    {
        if (DatasetManifest.Exists(data))
        {
            // Both options act while a file is ingested; an ingested dataset's roles and rejects were fixed by its ingest.
            if (schemaFile is not null || onBadRow != BadRowPolicy.Fail)
                throw new CliException($"{(schemaFile is not null ? "--schema" : "--on-bad-row skip")} applies to a data file, and {data} is an " +
                                       "ingested dataset (its columns and rejected rows were settled by 'distgmm ingest'; ingest the file again with it)",
                    ExitCodes.Usage);
            RunFolder.RequireCompleteIfInRunFolder(data);
            var manifest = DatasetManifest.Load(data);
            // A missing shard is unusable input, said before any worker starts (not a job failure halfway).
            for (var s = 0; s < manifest.Shards.Count; s++)
                if (!File.Exists(manifest.ShardPath(s)))
                    throw new CliException($"{manifest.ShardPath(s)}: shard {s} of the dataset is missing (re-run 'distgmm ingest')");
            return manifest;
        }
        if (Directory.Exists(data) && !Directory.EnumerateFiles(data, "*.parquet").Any())
            throw new CliException($"{data}: a folder without manifest.json (not an ingested dataset) and without Parquet files; run 'distgmm ingest' first");
        var input = CliPaths.ExistingInput(data);
        // Rows set aside under skip are counted in summary.json and said in the job's closing warning.
        return Ingest(terminal, new IngestOptions(input, ingestDir, shards, onBadRow, schemaFile is null ? null : CliPaths.ExistingFile(schemaFile)), ct).Manifest;
    }

    /// <param name="ct">Checked at every batch (the progress callback): Ctrl+C stops the ingest and its staging folder is removed.</param>
    public static IngestResult Ingest(Terminal terminal, IngestOptions options, CancellationToken ct = default)
    {
        terminal.Line($"ingest: {options.Input} -> {options.OutputDir} ({options.Shards} shards)");
        var lastReport = System.Diagnostics.Stopwatch.StartNew();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var progress = new SynchronousProgress<IngestProgress>(p =>
        {
            ct.ThrowIfCancellationRequested();
            if (lastReport.Elapsed < TimeSpan.FromSeconds(terminal.Interactive ? 0.5 : 2)) return;
            lastReport.Restart();
            var fraction = p.EstimatedRows > 0 ? (double)p.RowsWritten / p.EstimatedRows : 0;
            terminal.Progress("ingest", $"ingest: {Format.Count(p.RowsWritten)} rows" + (p.EstimatedRows > 0 ? $" of ~{Format.Count(p.EstimatedRows)}" : "")
                + (p.RowsRejected > 0 ? $", {Format.Count(p.RowsRejected)} rejected" : "")
                + (terminal.Interactive || p.EstimatedRows <= 0 ? "" : $" {Format.Eta(clock.Elapsed, fraction)}"), p.RowsWritten, p.EstimatedRows);
        });
        try
        {
            var result = Ingestion.Ingest(options, progress);
            terminal.CompleteProgress("ingest", $"ingest: {Format.Count(result.Manifest.TotalRows)} rows in {result.Manifest.Shards.Count} shards");
            foreach (var warning in result.Warnings) terminal.Error.WriteLine($"warning: {warning}");
            return result;
        }
        finally
        {
            terminal.EndLive(); // also when ingestion fails: the error line must not land inside a live frame
        }
    }

    public static void PrintSummary(Terminal terminal, IngestResult result)
    {
        var m = result.Manifest;
        var rows = new List<(string, string)>
        {
            ("dataset", Path.GetDirectoryName(result.ManifestPath) ?? result.ManifestPath),
            ("rows", Format.Count(m.TotalRows)),
            ("shards", m.Shards.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("rejected rows", Format.Count(result.RejectedRows) + (result.RejectsFile is { } f ? $" (written to {f})" : "")),
            ("time", Format.Seconds(result.Elapsed)),
        };
        foreach (var (label, count) in m.LabelCounts.OrderByDescending(kv => kv.Value).Take(12))
            rows.Add(($"label {label}", Format.Count(count)));
        if (m.LabelCounts.Count > 12) rows.Add(("labels", $"{m.LabelCounts.Count} distinct (top 12 shown)"));
        terminal.Summary("Ingested", rows);
    }

    /// <summary>IProgress that runs the callback on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
