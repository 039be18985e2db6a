using System.CommandLine;
using System.Net.Sockets;
using DistGmm.Cluster;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistGmm.Cli.Console;
using DistGmm.Data;
using DistGmm.Numerics;
using MathNet.Numerics.Statistics;

namespace DistGmm.Cli.Commands;

/// <summary>
/// `distgmm bench DATA`: end to end (see <see cref="BenchEndToEnd"/>). `distgmm bench em`: the EM iteration alone (E-step + statistics + M-step) on the preprocessed matrix, loading and
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
            var prepare = Stopwatch.StartNew();
            var preprocessor = Preprocessor.Fit(manifest.Directory, spec);
            var fitSeconds = prepare.Elapsed.TotalSeconds;
            var matrix = LoadMatrix(manifest, preprocessor);
            quiet.Line($"bench: {Format.Count(matrix.Rows)} rows x {matrix.Cols} features, K={kValue} {type}, {threads} thread(s); " +
                       $"preprocessor fit {Format.Fixed(fitSeconds, 2)} s, load {Format.Fixed(prepare.Elapsed.TotalSeconds - fitSeconds, 2)} s (untimed)");

            // A realistic starting model: one EM iteration from the default initialisation (not timed).
            var model = GaussianMixtureFitter.Fit(matrix, new EmOptions(kValue, type, MaxIter: 1), threads).Model;
            // One untimed iteration lets the JIT finish tiering the kernels (the first call runs unoptimised code).
            model = MStep.Apply(SufficientStatistics.Compute(model, matrix, threads), 1e-6);
            var seconds = new double[n];
            var cpuSeconds = new double[n];   // this process's CPU time: on a busy machine, what the kernels cost when they run
            var self = Process.GetCurrentProcess();
            using var kernels = new KernelWorkListener();
            for (var i = 0; i < n; i++)
            {
                self.Refresh();
                var cpu = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var stats = SufficientStatistics.Compute(model, matrix, threads);
                model = MStep.Apply(stats, 1e-6);
                seconds[i] = clock.Elapsed.TotalSeconds;
                self.Refresh();
                cpuSeconds[i] = (self.TotalProcessorTime - cpu).TotalSeconds;
                quiet.Line($"bench: iteration {i + 1}/{n}: {Format.Fixed(seconds[i], 4)} s, lower bound {Format.Number(stats.MeanLogLikelihood, 10)}");
            }
            var median = seconds.Median();
            var cpuMedian = cpuSeconds.Median();
            var flops = FlopsPerIteration(type, kValue, matrix.Rows, matrix.Cols);
            var peak = KernelPath.Peak();
            var perCorePeak = peak.Gflops / peak.Cores;
            // The peak counts every core; with fewer threads the fair peak is the share of the cores used.
            var usedPeak = peak.Gflops * Math.Min(threads, peak.Cores) / peak.Cores;
            var result = new BenchEmResult(median, flops / median / 1e9, matrix.Rows, matrix.Cols, kValue,
                type.ToString().ToLowerInvariant(), threads, n, seconds.Min(), seconds.Max(),
                KernelPath.Describe(), KernelPath.VectorBits, KernelPath.HardwareFma, peak.Describe(), usedPeak, flops / median / 1e9 / usedPeak,
                cpuMedian, flops / cpuMedian / 1e9, flops / cpuMedian / 1e9 / perCorePeak, BenchEndToEnd.LoadAverage(), kernels.SkippedFraction,
                kernels.PrunedFraction, DoneFlops(type, flops, kernels) / median / 1e9 / usedPeak);
            if (asJson) terminal.Out.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
            else terminal.Summary("EM iteration benchmark", [
                ("rows x d", $"{Format.Count(result.Rows)} x {result.D}"), ("K / covariance", $"{result.K} / {result.Covariance}"),
                ("threads", result.Workers.ToString(CultureInfo.InvariantCulture)),
                ("kernel path", result.KernelPath),
                ("FMA peak", result.Peak),
                ("seconds / iteration (median)", Format.Fixed(result.SecondsPerIteration, 4)),
                ("GFLOP/s (2·K·n·d² full, 6·K·n·d diag)", Format.Fixed(result.Gflops, 2)),
                ("fraction of peak" + (threads < peak.Cores ? $" ({threads} of {peak.Cores} cores)" : ""), double.IsNaN(result.FractionOfPeak) ? "unknown (no clock)" : Format.Fixed(100 * result.FractionOfPeak, 1) + " %"),
                ("moment groups skipped (zero responsibilities)", double.IsNaN(result.MomentGroupsSkipped) ? "none collected" : Format.Fixed(100 * result.MomentGroupsSkipped, 1) + " % (their flops are counted above)"),
                ("triangular work pruned (far components)", double.IsNaN(result.TriangularWorkPruned) ? "none (no triangular product)" : Format.Fixed(100 * result.TriangularWorkPruned, 1) + " % (counted above too)"),
                ("fraction of peak, flops done", double.IsNaN(result.FractionOfPeakDone) ? "unknown" : Format.Fixed(100 * result.FractionOfPeakDone, 1) + " % (less the skipped and pruned work)"),
                ("CPU seconds / iteration (median)", Format.Fixed(result.CpuSecondsPerIteration, 4)),
                ("GFLOP/s per busy core (of its peak)", $"{Format.Fixed(result.GflopsPerCpuSecond, 2)} ({(double.IsNaN(result.FractionOfCorePeak) ? "unknown" : Format.Fixed(100 * result.FractionOfCorePeak, 1) + " %")})"),
                ("load average (1/5/15 min)", result.LoadAverage is { } l ? string.Join(" ", l.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture))) : "unknown")]);
            return ExitCodes.Ok;
        });
        var bench = new Command("bench", "End to end (ingest, training, scoring, peak memory; embedded and cluster mode) into bench.json; " +
            "'bench em' times EM iterations alone, 'bench matrix' exports the matrix.") { em, BuildMatrixExport(), BenchEndToEnd.BuildJob() };
        BenchEndToEnd.Configure(bench);
        return bench;
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

    /// <summary>
    /// All shards transformed into one row-major matrix, in shard order: each shard's features are written straight into
    /// the one final array, so the peak stays near the matrix itself.
    /// </summary>
    public static DataMatrix LoadMatrix(DatasetManifest manifest, Preprocessor preprocessor)
    {
        // Return what fitting the preprocessor left (whole shards read per pass) before the matrix takes its place.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var cols = preprocessor.OutputDimension;
        var capacity = checked((int)manifest.Shards.Sum(s => s.Rows));
        var values = GC.AllocateUninitializedArray<double>(checked(capacity * cols), pinned: true);
        var rows = 0;
        for (var s = 0; s < manifest.Shards.Count; s++)
        {
            rows += ShardLoader.LoadFeaturesInto(manifest, s, preprocessor, values.AsMemory(rows * cols));
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);   // the shard's read garbage
        }
        if (rows < capacity) values = values.AsSpan(0, rows * cols).ToArray();   // rows dropped for missing values
        return new DataMatrix(values, rows, cols);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,   // peak NaN: clock unknown
    };

    private sealed record BenchEmResult(double SecondsPerIteration, double Gflops, long Rows, int D, int K, string Covariance,
        int Workers, int Iterations, double MinSeconds, double MaxSeconds,
        string KernelPath, int VectorBits, bool HardwareFma, string Peak, double PeakGflops, double FractionOfPeak,
        double CpuSecondsPerIteration, double GflopsPerCpuSecond, double FractionOfCorePeak, double[]? LoadAverage,
        double MomentGroupsSkipped, double TriangularWorkPruned, double FractionOfPeakDone);

    /// <summary>
    /// Flops actually done. Full/tied: the nominal count is half triangular product, half outer products; take away the
    /// pruned share of the first and the skipped share of the second. Diag/spherical skip and prune nothing: the nominal count.
    /// </summary>
    private static double DoneFlops(CovarianceType type, double flops, KernelWorkListener kernels) =>
        type is CovarianceType.Full or CovarianceType.Tied
            ? flops / 2 * (1 - Zero(kernels.PrunedFraction)) + flops / 2 * (1 - Zero(kernels.SkippedFraction))
            : flops;

    private static double Zero(double fraction) => double.IsNaN(fraction) ? 0 : fraction;

    /// <summary>
    /// Work the nominal flop count includes but the kernels did not do (<see cref="KernelMetrics"/>): the share of 8-row
    /// groups × components whose full-moment accumulation was skipped because every responsibility was zero, and the
    /// share of the triangular product pruned for rows certain to be far from a component.
    /// </summary>
    private sealed class KernelWorkListener : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _groups, _skipped, _work, _pruned;

        public KernelWorkListener()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == KernelMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                if (instrument.Name == KernelMetrics.MomentGroupsName) Interlocked.Add(ref _groups, value);
                else if (instrument.Name == KernelMetrics.MomentGroupsSkippedName) Interlocked.Add(ref _skipped, value);
                else if (instrument.Name == KernelMetrics.TriangularWorkName) Interlocked.Add(ref _work, value);
                else if (instrument.Name == KernelMetrics.TriangularWorkPrunedName) Interlocked.Add(ref _pruned, value);
            });
            _listener.Start();
        }

        public double SkippedFraction
        {
            get
            {
                var groups = Interlocked.Read(ref _groups);
                return groups == 0 ? double.NaN : (double)Interlocked.Read(ref _skipped) / groups;
            }
        }

        /// <summary>The share of the triangular product's work pruned (NaN: none measured).</summary>
        public double PrunedFraction
        {
            get
            {
                var work = Interlocked.Read(ref _work);
                return work == 0 ? double.NaN : (double)Interlocked.Read(ref _pruned) / work;
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>
/// `distgmm bench DATA`: the whole pipeline at the size given — ingest (when DATA is a file), then `run` with W = 1
/// and W = 2 embedded workers, each in a fresh process (`bench job`) so its peak memory is its own, and cluster mode
/// (a coordinator and 2 worker processes forming an Akka cluster on 127.0.0.1), all of it --repeats times, alternating;
/// writes OUT/bench.json with the cluster/embedded W=2 iteration ratio of each repeat and their median. Training
/// iterations run with tol = 0 (exactly --iterations); the first includes the initialisation and is reported apart.
/// </summary>
internal static class BenchEndToEnd
{
    public const int FormatVersion = 2;

    // A stage a run did not report (e.g. no loading events) is NaN, written as "NaN" rather than failing the bench.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
    private static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    private sealed record Settings(string Preset, int K, CovarianceType Covariance, int Iterations);

    private static (Option<string> Preset, Option<int> K, Option<CovarianceType> Covariance, Option<int> Iterations) JobOptions()
    {
        var preset = CommonOptions.Preset();
        var k = new Option<int>("--k") { Description = "Number of mixture components.", DefaultValueFactory = _ => 8 };
        var covariance = CommonOptions.Covariance();
        var iterations = new Option<int>("--iterations") { Description = "EM iterations (tol = 0: exactly this many).", DefaultValueFactory = _ => 5 };
        return (preset, k, covariance, iterations);
    }

    public static void Configure(Command bench)
    {
        var data = new Argument<string>("DATA") { Description = "Dataset folder (manifest.json) or a data file to ingest (timed).", Arity = ArgumentArity.ZeroOrOne };
        var (preset, k, covariance, iterations) = JobOptions();
        var outDir = new Option<string>("--out") { Description = "Folder for bench.json and the runs it makes.", DefaultValueFactory = _ => "bench-out" };
        var workers = new Option<string>("--workers") { Description = "Embedded worker counts to run, comma-separated.", DefaultValueFactory = _ => "1,2" };
        var shards = new Option<int>("--shards") { Description = "Shards to ingest a data file into.", DefaultValueFactory = _ => 8 };
        var noCluster = new Option<bool>("--no-cluster") { Description = "Skip cluster mode." };
        var repeats = new Option<int>("--repeats") { Description = "Times to run the modes, alternating (a shared machine's drift then slows both alike).", DefaultValueFactory = _ => 1 };
        var clusterConfig = new Option<string>("--cluster-config") { Description = "Folder with coordinator.conf and worker.conf (loopback node configs).", DefaultValueFactory = _ => Path.Combine("cluster-config", "loopback") };
        foreach (var o in new Option[] { preset, k, covariance, iterations, outDir, workers, shards, noCluster, clusterConfig, repeats }) bench.Options.Add(o);
        bench.Arguments.Add(data);
        bench.SetAction(async (parse, ct) =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var input = parse.GetValue(data) ?? throw new CliException("bench needs DATA (a dataset folder or a data file); see 'distgmm bench --help'");
            var settings = new Settings(parse.GetValue(preset)!, CommonOptions.Positive(parse.GetValue(k), "--k"), parse.GetValue(covariance),
                CommonOptions.Positive(parse.GetValue(iterations), "--iterations"));
            var counts = ParseCounts(parse.GetValue(workers)!);
            var repeatCount = CommonOptions.Positive(parse.GetValue(repeats), "--repeats");
            terminal.Line($"bench: kernel path {KernelPath.Describe()}; FMA peak {KernelPath.Peak().Describe()}");
            var root = Path.GetFullPath(parse.GetValue(outDir)!);
            Directory.CreateDirectory(root);

            // Ingest (timed) when DATA is a file.
            object ingest;
            string dataset;
            if (DatasetManifest.Exists(input))
            {
                dataset = input;
                ingest = new { status = "skipped", reason = "DATA is an ingested dataset" };
            }
            else
            {
                var clock = Stopwatch.StartNew();
                var result = DatasetInputs.Ingest(terminal, new IngestOptions(CliPaths.ExistingInput(input), Path.Combine(root, "dataset"), parse.GetValue(shards)));
                var seconds = clock.Elapsed.TotalSeconds;
                dataset = result.Manifest.Directory;
                ingest = new { status = "ok", rows = result.Manifest.TotalRows, seconds, rowsPerSecond = result.Manifest.TotalRows / seconds };
            }
            var manifest = DatasetManifest.Load(dataset);

            // Repeats alternate the modes (embedded W…, then cluster, then again), so a machine whose speed drifts — a
            // shared VM — slows both alike; the comparison is the median of the per-repeat ratios.
            var embedded = new List<JobMeasurement>();
            var clusterRuns = new List<JobMeasurement>();
            object? clusterStopped = parse.GetValue(noCluster) ? new { status = "skipped", reason = "--no-cluster" } : null;
            var ratios = new List<double>();
            for (var r = 1; r <= repeatCount; r++)
            {
                var tag = repeatCount > 1 ? $" (repeat {r}/{repeatCount})" : "";
                JobMeasurement? embeddedTwo = null;
                foreach (var w in counts)
                {
                    terminal.Line($"bench: embedded run, {w} worker(s), K={settings.K} {settings.Covariance}, {settings.Iterations} iterations{tag}");
                    var line = await RunChildAsync(["bench", "job", Path.GetFullPath(dataset), "--workers", Inv(w), "--out", FreshDirectory(Path.Combine(root, $"embedded-w{w}")),
                        .. JobArgs(settings)], ct);
                    var m = (JsonSerializer.Deserialize<JobMeasurement>(line, JsonLine) ?? throw new CliException("bench job printed no measurement")) with { Repeat = r };
                    embedded.Add(m);
                    if (w == 2) embeddedTwo = m;
                    terminal.Line(Describe($"embedded W={w}", m, settings));
                }
                if (clusterStopped is not null) continue;
                try
                {
                    var m = (await RunClusterAsync(terminal, Path.GetFullPath(dataset), settings, FreshDirectory(Path.Combine(root, "cluster-w2")),
                        parse.GetValue(clusterConfig)!, ct)) with { Repeat = r };
                    clusterRuns.Add(m);
                    if (embeddedTwo is not null) ratios.Add(m.MedianIterationSeconds / embeddedTwo.MedianIterationSeconds);
                }
                catch (ClusterUnavailable e)
                {
                    clusterStopped = new { status = e.Failed ? "failed" : "skipped", reason = e.Message, measurements = clusterRuns };
                    terminal.Line($"bench: cluster mode {(e.Failed ? "failed" : "skipped")}: {e.Message}");
                }
            }
            var cluster = clusterStopped ?? new { status = "ok", measurements = clusterRuns };
            object? comparison = null;
            if (ratios.Count > 0)
            {
                var median = ratios.Median();
                comparison = new { what = "median iteration, cluster W=2 / embedded W=2", ratios, medianRatio = median };
                var each = string.Join(", ", ratios.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)));
                terminal.Line(ratios.Count == 1
                    ? string.Create(CultureInfo.InvariantCulture, $"bench: cluster W=2 / embedded W=2 iteration: {median:F3}")
                    : string.Create(CultureInfo.InvariantCulture, $"bench: cluster W=2 / embedded W=2 iteration: {median:F3} (median of {ratios.Count} alternating repeats: {each})"));
            }

            var report = new
            {
                formatVersion = FormatVersion,
                createdUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
                machine = new
                {
                    processorCount = Environment.ProcessorCount,
                    vector512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
                    kernelPath = KernelPath.Describe(),
                    fmaPeak = KernelPath.Peak().Describe(),
                    os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                    runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                    loadAverage = LoadAverage(),
                },
                dataset = new { path = Path.GetFullPath(dataset), rows = manifest.TotalRows, shards = manifest.Shards.Count },
                settings = new { preset = settings.Preset, k = settings.K, covariance = settings.Covariance.ToString().ToLowerInvariant(), iterations = settings.Iterations, repeats = repeatCount },
                ingest,
                embedded,
                cluster,
                comparison,
            };
            var path = Path.Combine(root, "bench.json");
            File.WriteAllText(path, JsonSerializer.Serialize(report, Json));
            terminal.Line($"bench: wrote {path}");
            return ExitCodes.Ok;
        });
    }

    /// <summary>`distgmm bench job`: one embedded `run` in this process, measured; prints one JSON line (what `bench` reads).</summary>
    public static Command BuildJob()
    {
        var data = new Argument<string>("DATA") { Description = "Dataset folder (manifest.json)." };
        var (preset, k, covariance, iterations) = JobOptions();
        var workers = new Option<int>("--workers") { Description = "Embedded workers.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var outDir = new Option<string>("--out") { Description = "Run folder.", Required = true };
        var command = new Command("job", "One embedded run (tol = 0, no report), measured: stage times, iterations, scoring rows/s, peak memory; one JSON line.")
            { data, preset, k, covariance, iterations, workers, outDir };
        command.SetAction(async (parse, ct) =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var manifest = DatasetManifest.Load(parse.GetValue(data)!);
            var spec = CommonOptions.ResolvePreset(parse.GetValue(preset)!);
            var w = CommonOptions.Positive(parse.GetValue(workers), "--workers");
            var em = new EmOptions(CommonOptions.Positive(parse.GetValue(k), "--k"), parse.GetValue(covariance),
                MaxIter: CommonOptions.Positive(parse.GetValue(iterations), "--iterations"), Tol: 0);
            var recorder = new EventRecorder();
            var clock = Stopwatch.StartNew();
            var outcome = await EmbeddedJob.RunAsync(new RunJobSpec(manifest.Directory, spec, em, w, [], ThresholdRule.Default,
                parse.GetValue(outDir)!), recorder, ct);
            var total = clock.Elapsed.TotalSeconds;
            var m = recorder.Measure("embedded", w, outcome.Score.Summary.Rows, outcome.Train.Model.FeatureNames.Count, total,
                outcome.Score.Elapsed.TotalSeconds, [new ProcessPeak("run", PeakBytes("self"))]);
            terminal.Out.WriteLine(JsonSerializer.Serialize(m, JsonLine));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>What one run measured. Scoring = the scoring stage (every row through the E-step kernel); the score job adds loading (none when reused), anomalies and output files.</summary>
    internal sealed record JobMeasurement(string Mode, int Workers, long Rows, int D, double PreprocessorFitSeconds, double LoadSeconds,
        double[] IterationSeconds, double FirstIterationSeconds, double MedianIterationSeconds, double TrainSeconds,
        double ScoringSeconds, double ScoringRowsPerSecond, double ScoreJobSeconds, double ScoreJobRowsPerSecond, double TotalSeconds,
        long MatrixBytes, long PeakMemoryBytes, double PeakOverMatrix, IReadOnlyList<ProcessPeak> Processes, PassTimingSummary? Passes = null)
    {
        /// <summary>Which of bench's alternating repeats (1-based) measured this.</summary>
        public int Repeat { get; init; } = 1;
    }

    internal sealed record ProcessPeak(string Name, long PeakMemoryBytes);

    /// <summary>Job events with their times, turned into stage durations (works on live events and on events.log lines).</summary>
    private sealed class EventRecorder : IJobObserver
    {
        private readonly Lock _gate = new();
        private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
        private readonly List<(DateTimeOffset Time, string Text)> _events = [];
        private readonly List<double> _iterations = [];
        private readonly List<PassTimed> _passes = [];

        // Passes before the first iteration's end initialise (k-means and the like): not an EM pass's anatomy.
        private void AddPass(PassTimed p)
        {
            if (_iterations.Count > 0) _passes.Add(p);
        }

        public void OnEvent(JobEvent e)
        {
            lock (_gate)
            {
                _events.Add((e.Time, e.Describe()));
                if (e is IterationCompleted i) _iterations.Add(i.Elapsed.TotalSeconds);
                if (e is PassTimed p) AddPass(p);
            }
        }

        /// <summary>From events.log: "TIME text" lines; iteration and pass times as their events wrote them.</summary>
        public static EventRecorder FromLog(string path, DateTimeOffset start)
        {
            var r = new EventRecorder(start);
            foreach (var line in File.ReadLines(path))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space < 0 || !DateTimeOffset.TryParse(line[..space], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) continue;
                var text = line[(space + 1)..];
                r._events.Add((time, text));
                if (PassTimed.Parse(time, text) is { } pass) r.AddPass(pass);
                if (IterationCompleted.Parse(time, text) is { } iteration) r._iterations.Add(iteration.Elapsed.TotalSeconds);
            }
            return r;
        }

        public EventRecorder() { }

        private EventRecorder(DateTimeOffset start) => _start = start;

        private DateTimeOffset? First(string prefix, int after = 0) =>
            _events.Skip(after).Where(e => e.Text.StartsWith(prefix, StringComparison.Ordinal)).Select(e => (DateTimeOffset?)e.Time).FirstOrDefault();

        public JobMeasurement Measure(string mode, int workers, long rows, int d, double totalSeconds, double scoreJobSeconds, IReadOnlyList<ProcessPeak> processes)
        {
            lock (_gate)
            {
                // "job ID started: train|score, …" and "job ID completed" (the ids differ between embedded and cluster runs).
                var train = _events.FindIndex(e => e.Text.StartsWith("job ", StringComparison.Ordinal) && e.Text.Contains(" started: train", StringComparison.Ordinal));
                var score = _events.FindIndex(e => e.Text.StartsWith("job ", StringComparison.Ordinal) && e.Text.Contains(" started: score", StringComparison.Ordinal));
                if (train < 0 || score < 0) throw new CliException("the run's events lack its training or scoring job");
                var trainEnd = _events.FindIndex(train, e => e.Text.StartsWith("job ", StringComparison.Ordinal) && e.Text.EndsWith(" completed", StringComparison.Ordinal));
                double Seconds(DateTimeOffset? a, DateTimeOffset? b) => a is { } x && b is { } y ? (y - x).TotalSeconds : double.NaN;
                var trainStart = _events[train].Time;
                var fit = Seconds(_start, trainStart);
                var load = Seconds(First("stage: loading", train), First("all shards loaded", train));
                var trainSeconds = Seconds(trainStart, trainEnd >= 0 ? _events[trainEnd].Time : null);
                var scoring = Seconds(First("stage: scoring", score), First("threshold ", score));
                var its = _iterations.ToArray();
                var median = its.Length > 1 ? its.Skip(1).Median() : its.Length > 0 ? its[0] : double.NaN;
                var matrix = rows * d * 8L;
                var peak = processes.Sum(p => p.PeakMemoryBytes);
                return new JobMeasurement(mode, workers, rows, d, fit, load, its, its.Length > 0 ? its[0] : double.NaN, median, trainSeconds,
                    scoring, rows / scoring, scoreJobSeconds, rows / scoreJobSeconds, totalSeconds, matrix, peak, (double)peak / matrix, processes,
                    PassTimingSummary.Of(_passes));
            }
        }
    }

    /// <summary>Cluster mode could not run (no config, no broker: skipped) or ran and failed.</summary>
    private sealed class ClusterUnavailable(string message, bool failed = false) : Exception(message)
    {
        public bool Failed { get; } = failed;
    }

    /// <summary>A coordinator and 2 worker processes (1 core each), an Akka cluster on 127.0.0.1; peak memory sampled from /proc.</summary>
    private static async Task<JobMeasurement> RunClusterAsync(Terminal terminal, string dataset, Settings settings, string outDir, string configDir,
        CancellationToken ct)
    {
        var coordinatorConfig = Path.GetFullPath(Path.Combine(configDir, "coordinator.conf"));
        var workerConfig = Path.GetFullPath(Path.Combine(configDir, "worker.conf"));
        if (!File.Exists(coordinatorConfig) || !File.Exists(workerConfig))
            throw new ClusterUnavailable($"no cluster config in {Path.GetFullPath(configDir)} (coordinator.conf, worker.conf); pass --cluster-config");

        Directory.CreateDirectory(outDir);
        var id = $"bench-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var port = FreeLoopbackPort();
        string[] seeds = ["--seed-nodes", $"127.0.0.1:{Inv(port)}"];
        terminal.Line($"bench: cluster mode, coordinator + 2 worker processes, Akka cluster on 127.0.0.1:{Inv(port)}");
        var workers = new List<Child>();
        try
        {
            var start = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            using var coordinator = Child.Start(["coordinator", "--config", coordinatorConfig, dataset, "--node-name", $"{id}-coordinator",
                "--port", Inv(port), .. seeds, "--journal", $"Data Source={Path.Combine(outDir, "journal.db")}", "--workers", "2",
                "--wait-seconds", "60", "--out", outDir, "--no-report", .. JobArgs(settings, coordinator: true)]);
            for (var i = 1; i <= 2; i++)
                workers.Add(Child.Start(["worker", "--config", workerConfig, "--node-name", $"{id}-w{i}", "--port", "0", .. seeds, "--cores", "1"]));
            var code = await coordinator.WaitAsync(ct);
            var total = clock.Elapsed.TotalSeconds;
            if (code != 0) throw new ClusterUnavailable($"the coordinator exited with {code}: {coordinator.ErrorTail()}", failed: true);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
            var rows = summary.RootElement.GetProperty("rows").GetInt64();
            var scoreSeconds = summary.RootElement.GetProperty("secondsScore").GetDouble();
            var d = ModelFile.Load(Path.Combine(outDir, "model.json")).FeatureNames.Count;
            var m = EventRecorder.FromLog(Path.Combine(outDir, "events.log"), start).Measure("cluster", 2, rows, d, total, scoreSeconds,
                [new ProcessPeak("coordinator", coordinator.PeakBytes), .. workers.Select((w, i) => new ProcessPeak($"worker-{i + 1}", w.PeakBytes))]);
            terminal.Line(Describe("cluster W=2", m, settings));
            return m;
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }

    /// <summary>
    /// A run folder of bench's own, emptied first: a run appends to events.log (a resumed job continues its log), so an
    /// earlier bench's lines would otherwise be read back as this run's.
    /// </summary>
    private static string FreshDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        return path;
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A `distgmm` child process (this very CLI); its peak resident memory is sampled while it runs.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _out = new(), _err = new();
        private readonly Timer _sampler;
        private long _peak;

        private Child(Process process)
        {
            _process = process;
            _sampler = new Timer(_ => Sample(), null, 0, 100);
        }

        public long PeakBytes { get { Sample(); return Interlocked.Read(ref _peak); } }

        public string Output { get { lock (_out) return _out.ToString(); } }

        public static Child Start(IReadOnlyList<string> args)
        {
            var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(typeof(BenchEndToEnd).Assembly.Location);
            foreach (var a in args) start.ArgumentList.Add(a);
            var process = Process.Start(start) ?? throw new CliException("could not start a distgmm child process");
            var child = new Child(process);
            process.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (child._out) child._out.AppendLine(l); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (child._err) child._err.AppendLine(l); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        public async Task<int> WaitAsync(CancellationToken ct)
        {
            Sample();
            await _process.WaitForExitAsync(ct);
            return _process.ExitCode;
        }

        public string ErrorTail()
        {
            lock (_err) { var s = _err.ToString().Trim(); return s.Length > 2000 ? s[^2000..] : s; }
        }

        private void Sample()
        {
            try
            {
                if (_process.HasExited) return;
                var peak = PeakBytes(_process.Id.ToString(CultureInfo.InvariantCulture));
                long seen;
                while (peak > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, peak, seen) != seen) { }
            }
            catch (InvalidOperationException) { }   // exited between the check and the read
        }

        public void Dispose()
        {
            _sampler.Dispose();
            try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }

    private static async Task<string> RunChildAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        using var child = Child.Start(args);
        var code = await child.WaitAsync(ct);
        if (code != 0) throw new CliException($"distgmm {string.Join(' ', args.Take(2))} failed ({code}): {child.ErrorTail()}");
        return child.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'));
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>VmHWM (peak resident set) of /proc/PID/status in bytes, 0 where /proc is absent.</summary>
    private static long PeakBytes(string pid)
    {
        var path = $"/proc/{pid}/status";
        try
        {
            foreach (var line in File.ReadLines(path))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    internal static double[]? LoadAverage()
    {
        try { return [.. File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture))]; }
        catch (IOException) { return null; }
    }

    /// <summary>The job's options for `bench job`, or for `coordinator` (run's options: exactly N iterations is tol = 0).</summary>
    private static string[] JobArgs(Settings s, bool coordinator = false) =>
        ["--preset", s.Preset, "--k", Inv(s.K), "--covariance", s.Covariance.ToString(),
            .. coordinator ? (string[])["--max-iter", Inv(s.Iterations), "--tol", "0"] : ["--iterations", Inv(s.Iterations)]];

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static int[] ParseCounts(string list)
    {
        try { return [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => CommonOptions.Positive(int.Parse(v, CultureInfo.InvariantCulture), "--workers"))]; }
        catch (FormatException) { throw new CliException($"--workers: '{list}' is not a comma-separated list of counts, e.g. 1,2"); }
    }

    private static string Describe(string what, JobMeasurement m, Settings settings) => string.Create(CultureInfo.InvariantCulture,
        $"bench: {what}: load {m.LoadSeconds:F2} s, iteration {m.MedianIterationSeconds:F3} s (first {m.FirstIterationSeconds:F2} s, " +
        $"{IterationGflops(m, settings):F1} GFLOP/s = {100 * IterationGflops(m, settings) / KernelPath.Peak().Gflops:F0} % of the FMA peak), " +
        $"scoring {m.ScoringRowsPerSecond / 1e6:F2} M rows/s (score job {m.ScoreJobRowsPerSecond / 1e6:F2} M rows/s), " +
        $"peak {m.PeakMemoryBytes / 1e9:F2} GB = {m.PeakOverMatrix:F2}x the matrix{Anatomy(m.Passes)}");

    private static string Anatomy(PassTimingSummary? p) => p is null ? "" : string.Create(CultureInfo.InvariantCulture,
        $"; a pass (median of {p.Passes}): workers done after {1e3 * p.MedianFastestWorkerSeconds:F1}–{1e3 * p.MedianSlowestWorkerSeconds:F1} ms, coordination {1e3 * p.MedianCoordinationSeconds:F1} ms{Network(p)}{Taken(p)}");

    private static string Taken(PassTimingSummary p) => p.ShardsTaken + p.ShardsSplit == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
        $", {p.ShardsTaken} shard(s) taken over from lagging workers and {p.ShardsSplit} split with them in {p.Passes} passes");

    private static string Network(PassTimingSummary p) => p.MedianBytesSent + p.MedianBytesReceived == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
        $", on the network {p.MedianBytesSent / 1e3:F1} KB out + {p.MedianBytesReceived / 1e3:F1} KB in");

    /// <summary>EM arithmetic per second of a median iteration (2·K·n·d² full/tied, 6·K·n·d diag/spherical).</summary>
    private static double IterationGflops(JobMeasurement m, Settings settings) =>
        BenchCommand.FlopsPerIteration(settings.Covariance, settings.K, m.Rows, m.D) / m.MedianIterationSeconds / 1e9;
}
