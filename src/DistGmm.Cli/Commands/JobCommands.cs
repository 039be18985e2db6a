using System.CommandLine;
using System.Globalization;
using DistGmm.Cli.Console;
using DistGmm.Cli.Reports;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Reporting.Status;

namespace DistGmm.Cli.Commands;

/// <summary>The options of a training job, shared by `train` and `run` so names and defaults cannot drift apart.</summary>
internal sealed class TrainOptions
{
    public readonly Argument<string> Data = new("DATA") { Description = "A dataset folder (manifest.json), or a data file (raw KDD, header CSV, NSL-KDD, ARFF, Zeek log, JSON Lines, Parquet; text may be gzipped or zipped) to ingest first." };
    public readonly Option<string?> Preset = new("--preset")
    {
        Description = $"Preprocessing preset: {string.Join(", ", PreprocessingSpec.PresetNames)}, or a preprocessing JSON file. " +
                      "Default: seed (the notebook's) for data with the 41 KDD features, generic for any other table.",
    };
    public readonly Option<int> K = new("--k") { Description = "Number of mixture components.", DefaultValueFactory = _ => 2 };
    public readonly Option<string?> SelectK = new("--select-k") { Description = "Choose K by BIC among candidates, e.g. 1-8 or 1,2,4,8 (overrides --k)." };
    public readonly Option<CovarianceType> Covariance = CommonOptions.Covariance();
    public readonly Option<string> Init = new("--init") { Description = "Initialisation: kmeans, k-means++, random_from_data, random.", DefaultValueFactory = _ => "kmeans" };
    public readonly Option<string?> InitModel = new("--init-model") { Description = "Start EM from a model JSON (covarianceType, weights, means, covariances; in preprocessed feature space)." };
    public readonly Option<int> MaxIter = new("--max-iter") { Description = "Maximum EM iterations.", DefaultValueFactory = _ => 100 };
    public readonly Option<double> Tol = new("--tol") { Description = "Convergence threshold on the change of the mean log-likelihood lower bound.", DefaultValueFactory = _ => 1e-3 };
    public readonly Option<double?> RegCovar = new("--reg-covar") { Description = "Added to the covariance diagonal (default: 1/12 for --scoring records, mahalanobis or capped, the dequantisation variance of integer and one-hot columns; 1e-6 for rows)." };
    public readonly Option<int> NInit = new("--n-init") { Description = "Restarts; the best lower bound is kept.", DefaultValueFactory = _ => 1 };
    public readonly Option<int> Seed = new("--seed") { Description = "Random seed (initialisation).", DefaultValueFactory = _ => 0 };
    public readonly Option<int> Workers = new("--workers") { Description = "In-process workers (default: cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
    public readonly Option<int> Shards = new("--shards") { Description = "Shards to ingest a data file into.", DefaultValueFactory = _ => 8 };
    public readonly Option<BadRowPolicy> OnBadRow = DatasetInputs.OnBadRowOption();
    public readonly Option<string?> Schema = DatasetInputs.SchemaOption();
    public readonly Option<string[]> TrainOnLabel = new("--train-on-label") { Description = "Fit (model and preprocessor) only on rows with this label, e.g. normal. Repeatable.", AllowMultipleArgumentsPerToken = false };
    public readonly Option<bool> NoVerify = NoVerifyOption();
    public readonly Option<string?> Scoring = ScoringOption("Rows: fit on every row, score = log-likelihood (the notebook). Records: fit on distinct records, " +
        "score = log p(x) + log P(m), m = how often the row's record occurs. Mahalanobis: as records, with each component's density taken without its " +
        "volume (a tight component no longer makes its members more normal). Capped: as records, each component's volume term capped at the typical " +
        "component's (broad components still cost their volume, tight ones gain nothing). Default: rows for the seed preset and with --train-on-label, capped otherwise.");
    public readonly Option<string> Out;

    /// <summary>`--scoring rows|records|mahalanobis|capped`.</summary>
    public static Option<string?> ScoringOption(string description)
    {
        var option = new Option<string?>("--scoring") { Description = description };
        option.Require<Option<string?>, string?>(v => v is null || IsScoring(v), "must be rows, records, mahalanobis or capped");
        return option;
    }

    private static bool IsScoring(string name)
    {
        try { ModelFile.ParseScoring(name); return true; }
        catch (FormatException) { return false; }
    }

    /// <summary>--scoring, or the preset's default (<see cref="ScoringDefaults.For"/>).</summary>
    public Scoring ResolveScoring(ParseResult parse) =>
        parse.GetValue(Scoring) is { } name ? ModelFile.ParseScoring(name) : ScoringDefaults.For(PresetName(parse), parse.GetValue(TrainOnLabel));

    /// <summary>--preset, or the default for DATA's columns (<see cref="DefaultPreset"/>).</summary>
    public string PresetName(ParseResult parse)
    {
        if (parse.GetValue(Preset) is { } given) return given;
        // Asked by Resolve and by ResolveScoring: the input's columns are read once.
        var (data, schema) = (parse.GetValue(Data)!, parse.GetValue(Schema));
        if (_defaultPreset is not { } known || known.Data != data || known.Schema != schema)
            _defaultPreset = known = (data, schema, DefaultPreset(data, schema));
        return known.Name;
    }

    private (string Data, string? Schema, string Name)? _defaultPreset;

    /// <summary>
    /// The notebook's seed preset for KDD data (it drops service and flag by name), generic for any other table — which
    /// the seed preset could only refuse. An input that cannot be opened gets seed; its ingest then says what is wrong.
    /// </summary>
    internal static string DefaultPreset(string data, string? schemaFile = null) =>
        Ingestion.PeekColumns(data, schemaFile) is { } columns && !KddSchema.HasFeatures(columns.Select(c => c.Name))
            ? GenericPreset
            : ScoringDefaults.NotebookPreset;

    internal const string GenericPreset = "generic";

    /// <summary>`--no-verify`: use shards whose bytes no longer match the manifest's SHA-256 (checked by default).</summary>
    public static Option<bool> NoVerifyOption() => new("--no-verify") { Description = "Do not check each shard's SHA-256 against manifest.json while reading it." };

    /// <summary>The embedded cluster with shard verification as the command line asks.</summary>
    public static ClusterOptions Cluster(ParseResult parse, Option<bool> noVerify) => ClusterOptions.Default with { VerifyShards = !parse.GetValue(noVerify) };

    public TrainOptions(string outDescription)
    {
        Out = new Option<string>("--out") { Description = outDescription, Required = true };
        foreach (var option in new[] { K, MaxIter, NInit, Workers, Shards })
            option.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        Tol.Require<Option<double>, double>(v => v >= 0, "must be non-negative");
        RegCovar.Require<Option<double?>, double?>(v => v is null || v >= 0, "must be non-negative");
        Init.Require<Option<string>, string>(IsInit, "must be one of kmeans, k-means++, random_from_data, random");
    }

    private static bool IsInit(string name)
    {
        try { ModelFile.ParseInit(name); return true; }
        catch (ArgumentException) { return false; }
        catch (FormatException) { return false; }
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Data);
        foreach (var o in new Option[] { Out, Preset, K, SelectK, Covariance, Init, InitModel, MaxIter, Tol, RegCovar, NInit, Seed, Workers, Shards, OnBadRow, Schema, TrainOnLabel, NoVerify, Scoring })
            command.Options.Add(o);
    }

    public (PreprocessingSpec Spec, EmOptions Em, IReadOnlyList<int>? Candidates, string[] Labels) Resolve(ParseResult parse)
    {
        var spec = CommonOptions.ResolvePreset(PresetName(parse));
        var type = parse.GetValue(Covariance);
        var k = parse.GetValue(K);
        GaussianMixture? initModel = null;
        if (parse.GetValue(InitModel) is { } path)
        {
            initModel = ModelFile.Load(CliPaths.ExistingFile(path)).Model;
            if (initModel.CovarianceType != type) type = initModel.CovarianceType;
            k = initModel.K;
        }
        var regCovar = parse.GetValue(RegCovar) ?? ScoringDefaults.RegCovar(ResolveScoring(parse));
        var em = new EmOptions(k, type, parse.GetValue(MaxIter), parse.GetValue(Tol), regCovar, parse.GetValue(NInit),
            ModelFile.ParseInit(parse.GetValue(Init)!), parse.GetValue(Seed), initModel);
        var candidates = parse.GetValue(SelectK) is { } range ? ParseKRange(range) : null;
        return (spec, em, candidates, parse.GetValue(TrainOnLabel) ?? []);
    }

    /// <summary>
    /// What every training job does before it starts: ingest DATA into OUT/dataset unless it is a dataset already,
    /// start the status page when asked, and report to the progress lines (and the page).
    /// </summary>
    public async Task<(DatasetManifest Manifest, IJobObserver Observer, StatusServer? StatusServer)> PrepareAsync(
        ParseResult parse, Terminal terminal, StatusOption status, EmOptions em, IReadOnlyList<int>? candidates, string outDir, CancellationToken ct)
    {
        var manifest = DatasetInputs.OpenOrIngest(terminal, parse.GetValue(Data)!, Path.Combine(outDir, "dataset"), parse.GetValue(Shards), ct,
            parse.GetValue(OnBadRow), parse.GetValue(Schema));
        CheckTrainable(parse.GetValue(Data)!, manifest, parse.GetValue(TrainOnLabel) ?? [], em, candidates, parse.GetValue(InitModel) is not null);
        Directory.CreateDirectory(outDir);
        var (statusObserver, statusServer) = await status.StartAsync(parse, terminal, em.MaxIter, [.. manifest.Shards.Select(x => x.Rows)], ct);
        return (manifest, new CompositeObserver(new ProgressObserver(terminal, em.MaxIter), statusObserver), statusServer);
    }

    /// <summary>
    /// Refuses, before any worker starts, a job that cannot fit: --train-on-label matching no row of the dataset, or more
    /// components than rows to fit them on (scikit-learn's n_samples ≥ n_components; K-means with K in the tens of
    /// thousands would otherwise run for a long time before failing). Counts come from the manifest; rows a preset drops
    /// later (missing values) can still leave too few, which the job reports.
    /// </summary>
    /// <param name="name">DATA as the user gave it (a data file is ingested into the run folder's staging copy).</param>
    internal static void CheckTrainable(string name, DatasetManifest manifest, IReadOnlyList<string> trainOnLabels, EmOptions em,
        IReadOnlyList<int>? candidates, bool kFromInitModel)
    {
        long rows = manifest.TotalRows;
        if (trainOnLabels.Count > 0)
        {
            if (manifest.LabelCounts.Count == 0)
                throw new CliException($"--train-on-label {string.Join(", ", trainOnLabels)}: {name} has no labels", ExitCodes.BadInput);
            var keep = trainOnLabels.Select(KddSchema.NormalizeLabel).ToHashSet(StringComparer.Ordinal);
            rows = manifest.LabelCounts.Where(kv => keep.Contains(KddSchema.NormalizeLabel(kv.Key))).Sum(kv => kv.Value);
            if (rows == 0)
            {
                var present = manifest.LabelCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
                var shown = string.Join(", ", present.Take(12).Select(kv => $"{kv.Key} ({kv.Value.ToString("N0", CultureInfo.InvariantCulture)})"));
                throw new CliException($"--train-on-label {string.Join(", ", trainOnLabels)}: no row of {name} has that label " +
                                       $"(labels: {shown}{(present.Count > 12 ? $", … {present.Count - 12} more" : "")})", ExitCodes.BadInput);
            }
        }
        if (rows == 0) throw new CliException($"{name} has no rows to train on", ExitCodes.BadInput);
        var maxK = candidates is { Count: > 0 } ks ? ks.Max() : em.K;
        if (maxK > rows)
        {
            var option = candidates is { Count: > 0 } ? "--select-k" : kFromInitModel ? "--init-model (its K)" : "--k";
            var of = trainOnLabels.Count > 0 ? $"rows labelled {string.Join(", ", trainOnLabels)}" : "rows";
            throw new CliException($"{option}: K={maxK} is more than the {rows.ToString("N0", CultureInfo.InvariantCulture)} {of} to fit on " +
                                   "(a mixture needs at least as many rows as components)", ExitCodes.Usage);
        }
    }

    /// <summary>"1-8", "2,4,8" or a mix ("1-3,6").</summary>
    public static IReadOnlyList<int> ParseKRange(string text)
    {
        var ks = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1))
                throw new CliException($"--select-k: '{part}' is not a K or a range like 1-8", ExitCodes.Usage);
            var lo = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var hi = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (hi < lo) throw new CliException($"--select-k: empty range '{part}'", ExitCodes.Usage);
            for (var k = lo; k <= hi; k++) ks.Add(k);
        }
        return ks.Count > 0 ? [.. ks] : throw new CliException("--select-k: no K given", ExitCodes.Usage);
    }
}

/// <summary>How the anomaly threshold is chosen; shared by `score` and `run`.</summary>
internal sealed class ThresholdOptions
{
    public readonly Option<double?> StdK = new("--std-k") { Description = "Flag rows with score < mean − k·std (default k = 2, the notebook's rule)." };
    public readonly Option<double?> Contamination = new("--contamination") { Description = "Flag this fraction of rows with the lowest scores (exact quantile), e.g. 0.2." };
    public readonly Option<double?> Threshold = new("--threshold") { Description = "Flag rows with score below this fixed log-likelihood." };

    public ThresholdOptions()
    {
        Contamination.Require<Option<double?>, double?>(q => q is null or (> 0 and < 1), "must be in (0, 1)");
        StdK.Require<Option<double?>, double?>(k => k is null or >= 0, "must be non-negative");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(StdK);
        command.Options.Add(Contamination);
        command.Options.Add(Threshold);
    }

    public ThresholdRule? Resolve(ParseResult parse)
    {
        var given = new ThresholdRule?[]
        {
            parse.GetValue(StdK) is { } k ? new ThresholdRule.MeanMinusKStd(k) : null,
            parse.GetValue(Contamination) is { } q ? new ThresholdRule.ContaminationQuantile(q) : null,
            parse.GetValue(Threshold) is { } t ? new ThresholdRule.Fixed(t) : null,
        }.OfType<ThresholdRule>().ToList();
        if (given.Count > 1) throw new CliException("give at most one of --std-k, --contamination, --threshold", ExitCodes.Usage);
        return given.SingleOrDefault();
    }
}

public sealed class TrainCommand : ICliCommand
{
    public int Order => 30;

    public Command Build()
    {
        var options = new TrainOptions("Folder to write model.json into.");
        var status = new StatusOption();
        var command = new Command("train", "Fit the preprocessor and the Gaussian mixture (embedded cluster); writes model.json.");
        options.AddTo(command);
        status.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var (spec, em, candidates, labels) = options.Resolve(parse);
            using var folder = RunFolder.Begin(parse.GetValue(options.Out)!, "train", terminal.Error);
            folder.RefuseInputInside(parse.GetValue(options.Data)!);
            var outDir = folder.Work;
            TrainOutcome outcome;
            DatasetManifest manifest;
            {
                (manifest, var observer, var statusServer) = await options.PrepareAsync(parse, terminal, status, em, candidates, outDir, ct);
                await using var _ = statusServer;
                outcome = await EmbeddedJob.TrainAsync(new TrainJobSpec(manifest.Directory, spec, em, parse.GetValue(options.Workers), labels, outDir, candidates,
                    TrainOptions.Cluster(parse, options.NoVerify)) { Scoring = options.ResolveScoring(parse) }, observer, ct);
            }
            folder.Commit("train", manifest.Directory);
            JobSummaries.PrintTrain(terminal, outcome with { ModelPath = folder.Published(outcome.ModelPath) });
            Tracking.RunTracking.Record(parse, folder.Final, System.Diagnostics.Stopwatch.GetElapsedTime(started), warnings: terminal.Error);
            return ExitCodes.Ok;
        });
        return command;
    }
}

public sealed class ScoreCommand : ICliCommand
{
    public int Order => 40;

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "model.json written by train or run.", Required = true };
        var data = new Argument<string>("DATA") { Description = "A dataset folder (manifest.json) or a data file to ingest first." };
        var output = new Option<string>("--out") { Description = "Folder for scores.parquet, anomalies.*, summary.json, model.json.", Required = true };
        var workers = new Option<int>("--workers") { Description = "In-process workers (default: cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shards = new Option<int>("--shards") { Description = "Shards to ingest a data file into.", DefaultValueFactory = _ => 8 };
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html." };
        var noVerify = TrainOptions.NoVerifyOption();
        var onBadRow = DatasetInputs.OnBadRowOption();
        var schema = DatasetInputs.SchemaOption();
        var scoring = TrainOptions.ScoringOption("rows (log-likelihood), records (log p(x) + log P(m), m counted in this data), mahalanobis (as records, the density without the components' volumes) or capped (as records, volumes capped at the typical component's). Default: the model's (model.json's scoring).");
        var threshold = new ThresholdOptions();
        var command = new Command("score", "Score data with a trained model: every row's log-likelihood, the threshold, the anomalies.") { data, model, output, workers, shards, onBadRow, schema, noReport, noVerify, scoring };
        threshold.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var modelPath = CliPaths.ExistingFile(parse.GetValue(model)!);
            RunFolder.RequireCompleteIfInRunFolder(modelPath);
            var modelFile = ModelFile.Load(modelPath);
            // New data is judged by the threshold learnt with the model, unless the user asks for another rule. A model
            // written by `train` has none: the notebook's rule then applies to the scored data itself — said, not silent.
            var rule = threshold.Resolve(parse) ?? (modelFile.Threshold is { } t ? new ThresholdRule.Fixed(t) : null);
            if (rule is null)
            {
                terminal.Error.WriteLine($"warning: {modelPath} has no threshold (train does not score): flagging rows below mean − 2·std " +
                                         "of the scores of the data scored here; pass --threshold, --std-k or --contamination to choose");
                rule = new ThresholdRule.MeanMinusKStd(2);
            }
            using var folder = RunFolder.Begin(parse.GetValue(output)!, "score", terminal.Error);
            folder.RefuseInputInside(parse.GetValue(data)!);
            var outDir = folder.Work;
            var manifest = DatasetInputs.OpenOrIngest(terminal, parse.GetValue(data)!, Path.Combine(outDir, "dataset"), parse.GetValue(shards), ct,
                parse.GetValue(onBadRow), parse.GetValue(schema));
            var outcome = await EmbeddedJob.ScoreAsync(new ScoreJobSpec(modelPath, manifest.Directory, parse.GetValue(workers), rule, outDir, TrainOptions.Cluster(parse, noVerify))
                { Scoring = parse.GetValue(scoring) is { } name ? ModelFile.ParseScoring(name) : null }, new ProgressObserver(terminal, 0), ct);
            var report = parse.GetValue(noReport) ? null : RunReportBuilder.WriteReport(outDir, manifest.Directory, runId: folder.Name);
            folder.Commit("score", manifest.Directory);
            JobSummaries.PrintScore(terminal, JobSummaries.Published(outcome, folder), report is null ? null : folder.Published(report));
            Tracking.RunTracking.Record(parse, folder.Final, System.Diagnostics.Stopwatch.GetElapsedTime(started), warnings: terminal.Error);
            return ExitCodes.Ok;
        });
        return command;
    }
}

public sealed class RunCommand : ICliCommand
{
    public int Order => 10;

    public Command Build()
    {
        var options = new TrainOptions("Run folder (model.json, summary.json, scores.parquet, anomalies.*, report.html, events.log).");
        var threshold = new ThresholdOptions();
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html." };
        var status = new StatusOption();
        var command = new Command("run", "The whole job, embedded: ingest (if needed), train, score, collect anomalies, write the report.");
        options.AddTo(command);
        threshold.AddTo(command);
        command.Options.Add(noReport);
        status.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var (spec, em, candidates, labels) = options.Resolve(parse);
            var rule = threshold.Resolve(parse) ?? new ThresholdRule.MeanMinusKStd(2);
            using var folder = RunFolder.Begin(parse.GetValue(options.Out)!, "run", terminal.Error);
            folder.RefuseInputInside(parse.GetValue(options.Data)!);
            var outDir = folder.Work;
            RunOutcome outcome;
            DatasetManifest manifest;
            string? report;
            {
                (manifest, var observer, var statusServer) = await options.PrepareAsync(parse, terminal, status, em, candidates, outDir, ct);
                await using var _ = statusServer;
                outcome = await EmbeddedJob.RunAsync(new RunJobSpec(manifest.Directory, spec, em, parse.GetValue(options.Workers), labels, rule, outDir, candidates,
                    TrainOptions.Cluster(parse, options.NoVerify)) { Scoring = options.ResolveScoring(parse) }, observer, ct);
                report = parse.GetValue(noReport) ? null : RunReportBuilder.WriteReport(outDir, manifest.Directory, runId: folder.Name);
            }
            folder.Commit("run", manifest.Directory);
            JobSummaries.PrintTrain(terminal, outcome.Train with { ModelPath = folder.Published(outcome.Train.ModelPath) });
            JobSummaries.PrintScore(terminal, JobSummaries.Published(outcome.Score, folder), report is null ? null : folder.Published(report));
            Tracking.RunTracking.Record(parse, folder.Final, System.Diagnostics.Stopwatch.GetElapsedTime(started), warnings: terminal.Error);
            return ExitCodes.Ok;
        });
        return command;
    }
}

public sealed class ReportCommand : ICliCommand
{
    public int Order => 60;

    /// <summary>RUN_DIR/dataset when the run ingested its input there; else the dataset summary.json names (relative to RUN_DIR, or absolute).</summary>
    private static string ScoredDataset(string runDir)
    {
        var inFolder = Path.Combine(runDir, "dataset");
        if (DatasetManifest.Exists(inFolder)) return inFolder;
        try
        {
            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(runDir, "summary.json")));
            return summary.RootElement.TryGetProperty("dataset", out var d) && d.GetString() is { } named ? Path.Combine(runDir, named) : inFolder;
        }
        catch (System.Text.Json.JsonException) { return inFolder; }
    }

    public Command Build()
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run folder written by run or score." };
        var dataset = new Option<string?>("--dataset") { Description = "The dataset the run scored (default: RUN_DIR/dataset)." };
        var command = new Command("report", "(Re)write report.html for a run folder.") { run, dataset };
        command.SetAction(parse =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var runDir = parse.GetValue(run)!;
            RunFolder.RequireComplete(runDir);
            using var folderLock = RunFolderLock.Acquire(Path.GetFullPath(runDir), "report", terminal.Error);
            foreach (var f in new[] { "model.json", "summary.json", "scores.parquet" })
                if (!File.Exists(Path.Combine(runDir, f))) throw new CliException($"{runDir}: no {f} (not a scored run folder)");
            var datasetDir = parse.GetValue(dataset) ?? ScoredDataset(runDir);
            if (!DatasetManifest.Exists(datasetDir))
                throw new CliException($"{datasetDir}: no manifest.json; give the scored dataset with --dataset");
            string written;
            try
            {
                written = RunReportBuilder.WriteReport(runDir, datasetDir);
            }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException
                                          or System.Text.Json.JsonException)
            {
                // What the report reads (summary.json, scores.parquet, the dataset) does not fit together: unusable input.
                throw new CliException($"{runDir}: cannot build the report: {e.Message}", ExitCodes.BadInput, e);
            }
            terminal.Line($"wrote {written}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
