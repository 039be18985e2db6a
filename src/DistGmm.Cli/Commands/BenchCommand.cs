using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistGmm.Cli.Console;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cli.Commands;

/// <summary>
/// `distgmm bench em`: the EM iteration alone (E-step + statistics + M-step) on the preprocessed matrix, loading and
/// initialisation excluded; median seconds per iteration and GFLOP/s by 2·K·n·d² (full covariance).
/// </summary>
public sealed class BenchCommand : ICliCommand
{
    public int Order => 95;

    public Command Build()
    {
        var data = new Argument<string>("DATA") { Description = "Dataset folder (manifest.json) or a data file to ingest first." };
        var preset = CommonOptions.Preset();
        var k = new Option<int>("--k") { Description = "Number of mixture components.", DefaultValueFactory = _ => 2 };
        var covariance = CommonOptions.Covariance();
        var iterations = new Option<int>("--iterations") { Description = "Timed EM iterations (the median is reported).", DefaultValueFactory = _ => 5 };
        var workers = new Option<int>("--workers") { Description = "Threads computing the E-step (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "Print one JSON line instead of text." };
        var em = new Command("em", "Time EM iterations on the preprocessed matrix (loading excluded).") { data, preset, k, covariance, iterations, workers, json };
        em.SetAction(parse =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var asJson = parse.GetValue(json);
            var quiet = asJson ? new Terminal(TextWriter.Null, terminal.Error) : terminal;
            var spec = CommonOptions.ResolvePreset(parse.GetValue(preset)!);
            var kValue = CommonOptions.Positive(parse.GetValue(k), "--k");
            var n = CommonOptions.Positive(parse.GetValue(iterations), "--iterations");
            var threads = CommonOptions.Positive(parse.GetValue(workers), "--workers");
            var type = parse.GetValue(covariance);

            var manifest = DatasetInputs.OpenOrIngest(quiet, parse.GetValue(data)!, Path.Combine(Path.GetTempPath(), "distgmm-bench-" + Environment.ProcessId));
            var preprocessor = Preprocessor.Fit(manifest.Directory, spec);
            var matrix = LoadMatrix(manifest, preprocessor);
            quiet.Line($"bench: {Format.Count(matrix.Rows)} rows x {matrix.Cols} features, K={kValue} {type}, {threads} thread(s)");

            // A realistic starting model: one EM iteration from the default initialisation (not timed).
            var model = GaussianMixtureFitter.Fit(matrix, new EmOptions(kValue, type, MaxIter: 1), threads).Model;
            // One untimed iteration lets the JIT finish tiering the kernels (the first call runs unoptimised code).
            model = MStep.Apply(SufficientStatistics.Compute(model, matrix, threads), 1e-6);
            var seconds = new double[n];
            for (var i = 0; i < n; i++)
            {
                var clock = Stopwatch.StartNew();
                var stats = SufficientStatistics.Compute(model, matrix, threads);
                model = MStep.Apply(stats, 1e-6);
                seconds[i] = clock.Elapsed.TotalSeconds;
                quiet.Line($"bench: iteration {i + 1}/{n}: {Format.Fixed(seconds[i], 4)} s, lower bound {Format.Number(stats.MeanLogLikelihood, 10)}");
            }
            Array.Sort(seconds);
            var median = n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
            var flops = FlopsPerIteration(type, kValue, matrix.Rows, matrix.Cols);
            var result = new BenchEmResult(median, flops / median / 1e9, matrix.Rows, matrix.Cols, kValue,
                type.ToString().ToLowerInvariant(), threads, n, seconds.Min(), seconds.Max());
            if (asJson) terminal.Out.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
            else terminal.Summary("EM iteration benchmark", [
                ("rows x d", $"{Format.Count(result.Rows)} x {result.D}"), ("K / covariance", $"{result.K} / {result.Covariance}"),
                ("threads", result.Workers.ToString(CultureInfo.InvariantCulture)),
                ("seconds / iteration (median)", Format.Fixed(result.SecondsPerIteration, 4)),
                ("GFLOP/s (2·K·n·d² full, 6·K·n·d diag)", Format.Fixed(result.Gflops, 2))]);
            return ExitCodes.Ok;
        });
        return new Command("bench", "Benchmarks and the matrices behind them.") { em, BuildMatrixExport() };
    }

    /// <summary>`distgmm bench matrix DATA --preset P --out FILE.npy`: the preprocessed float64 matrix, for side-by-side runs in other tools.</summary>
    private static Command BuildMatrixExport()
    {
        var data = new Argument<string>("DATA") { Description = "Dataset folder (manifest.json) or a data file to ingest first." };
        var preset = CommonOptions.Preset();
        var output = new Option<string>("--out") { Description = "The .npy file to write (float64, C order).", Required = true };
        var command = new Command("matrix", "Write the preprocessed matrix as a NumPy .npy file (for scripts/reference-sklearn.sh).") { data, preset, output };
        command.SetAction(parse =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var spec = CommonOptions.ResolvePreset(parse.GetValue(preset)!);
            var manifest = DatasetInputs.OpenOrIngest(terminal, parse.GetValue(data)!, Path.Combine(Path.GetTempPath(), "distgmm-bench-" + Environment.ProcessId));
            var matrix = LoadMatrix(manifest, Preprocessor.Fit(manifest.Directory, spec));
            NpyWriter.Write(parse.GetValue(output)!, matrix);
            terminal.Line($"wrote {parse.GetValue(output)}: {Format.Count(matrix.Rows)} x {matrix.Cols} float64");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Useful arithmetic per EM iteration: full/tied ≈ 2·K·n·d² (triangular solve + symmetric outer products); diag/spherical ≈ 6·K·n·d.</summary>
    public static double FlopsPerIteration(CovarianceType type, int k, long n, int d) => type switch
    {
        CovarianceType.Full or CovarianceType.Tied => 2.0 * k * n * d * d,
        _ => 6.0 * k * n * d,
    };

    /// <summary>All shards transformed into one row-major matrix, in shard order.</summary>
    public static DataMatrix LoadMatrix(DatasetManifest manifest, Preprocessor preprocessor)
    {
        var parts = Enumerable.Range(0, manifest.Shards.Count).Select(s => ShardLoader.Load(manifest, s, preprocessor).Features).ToList();
        var rows = parts.Sum(p => p.Rows);
        var cols = preprocessor.OutputDimension;
        var values = GC.AllocateUninitializedArray<double>(checked(rows * cols));
        var offset = 0;
        foreach (var p in parts)
        {
            p.Values.AsSpan(0, p.Rows * cols).CopyTo(values.AsSpan(offset));
            offset += p.Rows * cols;
        }
        return new DataMatrix(values, rows, cols);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private sealed record BenchEmResult(double SecondsPerIteration, double Gflops, long Rows, int D, int K, string Covariance,
        int Workers, int Iterations, double MinSeconds, double MaxSeconds);
}
