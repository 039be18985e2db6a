using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DistGmm.Cli.Console;
using DistGmm.Data;
using DistGmm.Evaluation;
using DistGmm.Numerics;

namespace DistGmm.Cli.Commands;

/// <summary>
/// `distgmm eval --protocol seed|dagmm|subsets|nslkdd DATA [TEST]`: the published evaluation protocols, in-process;
/// prints a table and, with --out, writes eval.json (and, with --export, the very matrices for scripts/reference-sklearn.sh).
/// </summary>
public sealed class EvalCommand : ICliCommand
{
    public int Order => 70;

    public Command Build()
    {
        var data = new Argument<string[]>("DATA")
        {
            Description = "A dataset folder or data file (KDD 10% for seed/dagmm/subsets); for nslkdd: TRAIN TEST.",
            Arity = new ArgumentArity(1, 2),
        };
        var protocol = new Option<string>("--protocol") { Description = "seed, dagmm, subsets or nslkdd.", Required = true };
        var preset = new Option<string?>("--preset") { Description = $"Preprocessing preset ({string.Join(", ", PreprocessingSpec.PresetNames)}) or JSON file; default: seed for seed, kdd-wide otherwise (nslkdd on tables without the KDD features: generic)." };
        var k = new Option<int?>("--k") { Description = "Fixed number of components (default: seed 2; dagmm, subsets and nslkdd choose K on the training rows)." };
        var selectK = new Option<string?>("--select-k") { Description = "Candidate K compared on the training rows (--select-by), e.g. 1-8 or 2,4,8." };
        var selectRegCovar = new Option<string?>("--select-reg-covar") { Description = "Candidate reg_covar compared by held-out likelihood on the training rows, e.g. 1e-3,1e-2,1e-1." };
        var selectBy = new Option<string?>("--select-by") { Description = "How candidates are compared on the training rows: bic, or holdout (mean log-likelihood of held-out distinct training records); default: holdout for dagmm, bic otherwise." };
        var covariance = CommonOptions.Covariance();
        var seed = new Option<int>("--seed") { Description = "First seed (split, SA's random_state, EM seeding); repeat r uses seed + r.", DefaultValueFactory = _ => 0 };
        var repeats = new Option<int?>("--repeats") { Description = "Seeds averaged (default: 5 for dagmm, 3 for subsets --unsupervised, otherwise 1)." };
        var contamination = new Option<double>("--contamination") { Description = "dagmm: fraction of test rows flagged.", DefaultValueFactory = _ => 0.2 };
        var stdK = new Option<double>("--std-k") { Description = "seed/nslkdd: flag scores below mean - k*std.", DefaultValueFactory = _ => 2 };
        var maxIter = new Option<int>("--max-iter") { Description = "Maximum EM iterations.", DefaultValueFactory = _ => 100 };
        var tol = new Option<double>("--tol") { Description = "EM convergence threshold.", DefaultValueFactory = _ => 1e-3 };
        var regCovar = new Option<double?>("--reg-covar") { Description = "Fixed value added to the covariance diagonal (default: 1/12, the dequantisation variance of 0/1 and integer columns, for dagmm and for --scoring records, mahalanobis or capped; 1e-6 otherwise)." };
        var nInit = new Option<int?>("--n-init") { Description = "EM restarts; the best lower bound is kept (default: 3 for dagmm, 1 otherwise)." };
        var workers = new Option<int>("--workers") { Description = "Threads (default: cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "Folder to write eval.json into (default: the table is printed, nothing written)." };
        var export = new Option<string?>("--export") { Description = "Also write each case's train/test matrices and labels (.npy) here, for scripts/reference-sklearn.sh." };
        var trainVocabulary = new Option<bool>("--train-vocabulary-only") { Description = "dagmm/nslkdd: one-hot only categories seen in the training rows (default: the whole data's categories, labels unused, as DAGMM)." };
        var unsupervised = new Option<bool>("--unsupervised") { Description = "subsets: fit on each whole subset (scikit-learn's outlier benchmark) instead of the training half's normal rows." };
        var scoring = new Option<string?>("--scoring") { Description = "rows (mixture on every row, score log-likelihood), records (mixture on distinct records, score log p(x) + log P(multiplicity)), mahalanobis (as records, the density without the components' volumes) or capped (as records, each component's volume capped at the typical component's); default: capped for subsets --unsupervised, rows otherwise." };
        var subsets = new Option<string?>("--subsets") { Description = "subsets: report (SA, SF, http, smtp; with --unsupervised also kdd, the whole file), dev (ftp_data, ftp, telnet, udp, tcp: where the unsupervised default was chosen) or a list, e.g. SA,http." };
        var command = new Command("eval", "Evaluate on published protocols: seed, dagmm (Zong et al. 2018), subsets (scikit-learn's SA/SF/http/smtp), nslkdd.")
        {
            data, protocol, preset, k, selectK, selectRegCovar, selectBy, covariance, seed, repeats, contamination, stdK, maxIter, tol, regCovar, nInit, workers, output, export, trainVocabulary, unsupervised, scoring, subsets,
        };
        command.SetAction(parse =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var which = ParseProtocol(parse.GetValue(protocol)!);
            var inputs = parse.GetValue(data)!;
            if ((which == EvalProtocol.NslKdd) != (inputs.Length == 2))
                throw new CliException(which == EvalProtocol.NslKdd ? "--protocol nslkdd needs two inputs: TRAIN TEST" : $"--protocol {Name(which)} takes one DATA input", ExitCodes.Usage);
            var settings = new EvalSettings(
                K: parse.GetValue(k) is { } kv ? CommonOptions.Positive(kv, "--k") : null,
                SelectK: parse.GetValue(selectK) is { } range ? TrainOptions.ParseKRange(range) : null,
                Covariance: parse.GetValue(covariance),
                Spec: parse.GetValue(preset) is { } p ? CommonOptions.ResolvePreset(p) : null,
                Seed: parse.GetValue(seed),
                Repeats: parse.GetValue(repeats) is { } rv ? CommonOptions.Positive(rv, "--repeats") : null,
                Contamination: parse.GetValue(contamination),
                StdK: parse.GetValue(stdK),
                MaxIter: CommonOptions.Positive(parse.GetValue(maxIter), "--max-iter"),
                Tol: parse.GetValue(tol),
                RegCovar: parse.GetValue(regCovar),
                NInit: parse.GetValue(nInit) is { } ni ? CommonOptions.Positive(ni, "--n-init") : null,
                Threads: CommonOptions.Positive(parse.GetValue(workers), "--workers"),
                ExportDir: parse.GetValue(export),
                TrainVocabularyOnly: parse.GetValue(trainVocabulary),
                SubsetsUnsupervised: parse.GetValue(unsupervised),
                SelectRegCovar: parse.GetValue(selectRegCovar) is { } list ? ParseDoubles(list, "--select-reg-covar") : null,
                SelectBy: parse.GetValue(selectBy) is { } by ? ParseSelectBy(by) : null,
                Scoring: parse.GetValue(scoring) is { } sc ? ParseScoring(sc) : null,
                Subsets: parse.GetValue(subsets) is { } list2 ? ParseSubsets(list2, parse.GetValue(unsupervised)) : null);
            try
            {
                settings.Validate();
                ProtocolDefaults.Resolve(which, settings);
            }
            catch (ArgumentException e) { throw new CliException(e.Message, ExitCodes.Usage); }

            // A file in the way is a command-line error (2), said before minutes of fitting, as for run's --out.
            var outDir = parse.GetValue(output) is { } o ? CliPaths.OutputFolder(o) : null;
            if (outDir is not null) Directory.CreateDirectory(outDir);
            var scratch = Path.Combine(Path.GetTempPath(), "distgmm-eval-" + Environment.ProcessId);
            var clock = Stopwatch.StartNew();
            try
            {
                var tables = inputs.Select((input, i) => KddTable.Load(
                    DatasetInputs.OpenOrIngest(terminal, input, Path.Combine(scratch, "input" + i)))).ToList();
                Action<string> log = terminal.Line;
                var report = which switch
                {
                    EvalProtocol.Seed => Evaluator.Seed(tables[0], settings, log),
                    EvalProtocol.Dagmm => Evaluator.Dagmm(tables[0], settings, log),
                    EvalProtocol.Subsets => Evaluator.Subsets(tables[0], settings, log),
                    _ => Evaluator.NslKdd(tables[0], tables[1], settings, log),
                } with { Data = inputs.Select(Path.GetFullPath).ToList() };
                report.Seconds = clock.Elapsed.TotalSeconds;
                PrintTable(terminal, report);
                if (outDir is null) terminal.Line($"done in {Format.Fixed(report.Seconds, 1)} s (--out DIR writes eval.json)");
                else
                {
                    var jsonPath = Path.Combine(outDir, "eval.json");
                    Evaluator.Save(report, jsonPath);
                    terminal.Line($"wrote {jsonPath} ({Format.Fixed(report.Seconds, 1)} s)");
                }
            }
            catch (ArgumentException e) { throw new CliException($"eval: {e.Message}", ExitCodes.BadInput, e); }
            finally
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static EvalProtocol ParseProtocol(string text) => text.ToLowerInvariant() switch
    {
        "seed" => EvalProtocol.Seed,
        "dagmm" => EvalProtocol.Dagmm,
        "subsets" => EvalProtocol.Subsets,
        "nslkdd" or "nsl-kdd" => EvalProtocol.NslKdd,
        _ => throw new CliException($"--protocol must be seed, dagmm, subsets or nslkdd (got '{text}')", ExitCodes.Usage),
    };

    private static SelectBy ParseSelectBy(string text) => text.ToLowerInvariant() switch
    {
        "bic" => SelectBy.Bic,
        "holdout" or "hold-out" => SelectBy.Holdout,
        _ => throw new CliException($"--select-by must be bic or holdout (got '{text}')", ExitCodes.Usage),
    };

    private static Scoring ParseScoring(string text)
    {
        try { return Cluster.ModelFile.ParseScoring(text); }
        catch (FormatException) { throw new CliException($"--scoring must be rows, records, mahalanobis or capped (got '{text}')", ExitCodes.Usage); }
    }

    private static IReadOnlyList<KddSubset> ParseSubsets(string text, bool unsupervised)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "report") return KddSubsets.Report(unsupervised);
        if (t is "dev" or "development") return KddSubsets.Development;
        try
        {
            return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(KddSubsets.Parse).Distinct().ToList();
        }
        catch (ArgumentException e) { throw new CliException($"--subsets: {e.Message}", ExitCodes.Usage); }
    }

    private static IReadOnlyList<double> ParseDoubles(string text, string option)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v >= 0))
                throw new CliException($"{option}: '{part}' is not a non-negative number", ExitCodes.Usage);
            values.Add(v);
        }
        return values.Count > 0 ? values : throw new CliException($"{option} lists no values", ExitCodes.Usage);
    }

    private static string Name(EvalProtocol p) => p.ToString().ToLowerInvariant();

    private static void PrintTable(Terminal terminal, EvalReport report)
    {
        var o = terminal.Out;
        string List<T>(IEnumerable<T> values) => "{" + string.Join(",", values.Select(v => string.Format(CultureInfo.InvariantCulture, "{0:G3}", v))) + "}";
        var by = report.SelectBy == "holdout" ? "held-out likelihood" : "BIC";
        var k = report.SelectK is { } ks ? $"K by {by} over {List(ks)}" : $"K={report.K}";
        var reg = report.SelectRegCovar is { } rs ? $"reg_covar by {by} over {List(rs)}" : $"reg_covar {report.RegCovar?.ToString("G3", CultureInfo.InvariantCulture)}";
        o.WriteLine($"eval {report.Protocol}: preset {report.Preset}, covariance {report.Covariance}, {k}, {reg}" +
                    $"; positive class: {report.PositiveClass}; {report.Rule}");
        o.WriteLine($"{"case",-10} {"K",3} {"reg",7} {"d",4} {"train",9} {"test",9} {"positive",9} {"flagged",9} {"precision",9} {"recall",9} {"F1",9} {"ROC AUC",9} {"PR AUC",9}");
        foreach (var c in report.Cases)
            o.WriteLine($"{c.Name,-10} {c.K,3} {c.RegCovar.ToString("G3", CultureInfo.InvariantCulture),7} {c.D,4} {c.TrainRows,9} {c.TestRows,9} {c.TestPositives,9} {Opt(c.Flagged),9} {Opt(c.Precision),9} {Opt(c.Recall),9} {Opt(c.F1),9} {Opt(c.RocAuc),9} {Opt(c.PrAuc),9}");
        foreach (var set in report.Sets)
        {
            string SetMeanStd(string metric) => set.Metrics.FirstOrDefault(m => m.Metric == metric) is { } m
                ? $"{Format.Fixed(m.Mean, 4)} ± {Format.Fixed(m.Std, 4)}" : "-";
            o.WriteLine($"{set.Name,-10} mean ± std over {set.Metrics.FirstOrDefault()?.Count} seeds: ROC AUC {SetMeanStd("rocAuc")}, PR AUC {SetMeanStd("prAuc")}");
        }
        if (report.Cases.Count > 1 && report.Sets.Count == 0)
        {
            string MeanStd(string metric) => report.Summary.FirstOrDefault(m => m.Metric == metric) is { } m
                ? $"{Format.Fixed(m.Mean, 4)} ± {Format.Fixed(m.Std, 4)}" : "-";
            o.WriteLine($"mean ± std over {report.Cases.Count}: precision {MeanStd("precision")}, recall {MeanStd("recall")}, F1 {MeanStd("f1")}, ROC AUC {MeanStd("rocAuc")}, PR AUC {MeanStd("prAuc")}");
        }
        foreach (var p in report.Published)
            o.WriteLine($"published: {p.Method} {p.Metric} {Format.Fixed(p.Value, 4)} ({p.Source})");
        foreach (var c in report.Cases.Where(c => c.Selection is not null))
            o.WriteLine(report.SelectBy == "holdout"
                ? $"held-out mean log-likelihood {c.Name}: " + string.Join("  ", c.Selection!.Select(s =>
                    $"K={s.K},reg={s.RegCovar?.ToString("G3", CultureInfo.InvariantCulture)} {s.HoldoutMeanLogLikelihood?.ToString("F2", CultureInfo.InvariantCulture)}"))
                : $"BIC {c.Name}: " + string.Join("  ", c.Selection!.Select(s => $"K={s.K} {s.Bic.ToString("E4", CultureInfo.InvariantCulture)}")));
    }

    private static string Opt(long? v) => v is { } x ? x.ToString(CultureInfo.InvariantCulture) : "-";

    private static string Opt(double? v) => v is { } x ? Format.Fixed(x, 4) : "-";
}
