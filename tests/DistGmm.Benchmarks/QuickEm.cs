using System.Diagnostics;
using System.Globalization;
using DistGmm.Numerics;
using DistGmm.Numerics.Tests;
using DistGmm.Testing;

namespace DistGmm.Benchmarks;

/// <summary>
/// Plain timing of one EM iteration (E-step + statistics over all rows, then the M-step) on the notebook's
/// KDD encoding: median seconds per iteration, rows/s and GFLOP/s by the 2·K·n·d² formula (full).
/// </summary>
internal static class QuickEm
{
    public static int Run(string[] args)
    {
        var ks = Option(args, "--k", "2,4,8").Split(',').Select(int.Parse).ToArray();
        var covs = Option(args, "--cov", "full,diag").Split(',').Select(c => Enum.Parse<CovarianceType>(c, ignoreCase: true)).ToArray();
        int iterations = int.Parse(Option(args, "--iterations", "5"), CultureInfo.InvariantCulture);
        var threadList = Option(args, "--threads", "-1").Split(',').Select(int.Parse).ToArray();
        string path = Option(args, "--data", RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"));
        var data = KddNotebookData.Load(path);
        int randomDims = int.Parse(Option(args, "--random-dims", "0"), CultureInfo.InvariantCulture);
        if (randomDims > 0)
        {
            // Same row count, seeded uniform columns: kernel timing at another width (e.g. the 118-column one-hot encoding).
            var rng = new Random(42);
            var values = new double[data.Rows * randomDims];
            for (int i = 0; i < values.Length; i++) values[i] = rng.NextDouble();
            data = new DataMatrix(values, data.Rows, randomDims);
        }
        Console.WriteLine($"data {path}: {data.Rows} rows × {data.Cols}; {Environment.ProcessorCount} logical CPUs; " +
                          $"Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        MeasureBandwidth(data);
        if (args.Contains("--trace")) return Trace(data, ks, covs, iterations, threadList[0]);
        if (args.Contains("--ab")) return AlternateModels(data, ks[0], covs[0], iterations, threadList[0]);
        if (args.Contains("--subnormals")) return CountSubnormals(data, ks[0], threadList[0]);
        foreach (var cov in covs)
            foreach (int k in ks)
                foreach (int threads in threadList)
                {
                    var model = StartModel(data, k, cov);
                    // Warm-up (JIT, caches), then timed iterations of E-step + M-step.
                    model = MStep.Apply(SufficientStatistics.Compute(model, data, threads), 1e-6);
                    var times = new List<double>();
                    var cpu = new List<double>();
                    var process = Process.GetCurrentProcess();
                    for (int i = 0; i < iterations; i++)
                    {
                        process.Refresh();
                        var cpu0 = process.TotalProcessorTime;
                        var sw = Stopwatch.StartNew();
                        var stats = SufficientStatistics.Compute(model, data, threads);
                        model = MStep.Apply(stats, 1e-6);
                        times.Add(sw.Elapsed.TotalSeconds);
                        process.Refresh();
                        cpu.Add((process.TotalProcessorTime - cpu0).TotalSeconds);
                    }
                    // Scoring alone (the E-step kernel without statistics): with the line above, splits an
                    // iteration into log-probabilities vs moment accumulation.
                    var scoreCpu = new List<double>();
                    var ll = new double[data.Rows];
                    for (int i = 0; i < iterations; i++)
                    {
                        process.Refresh();
                        var cpu0 = process.TotalProcessorTime;
                        model.ScoreSamples(data, ll, threads);
                        process.Refresh();
                        scoreCpu.Add((process.TotalProcessorTime - cpu0).TotalSeconds);
                    }
                    scoreCpu.Sort();
                    times.Sort();
                    cpu.Sort();
                    double median = times[times.Count / 2];
                    double d = data.Cols;
                    double flops = cov is CovarianceType.Full or CovarianceType.Tied ? 2.0 * k * data.Rows * d * d : 6.0 * k * data.Rows * d;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{cov,-5} K={k} threads={threads,2}: {median:F4} s/iteration (min {times[0]:F4}), {data.Rows / median / 1e6:F2} M rows/s, {flops / median / 1e9:F1} GFLOP/s; CPU {cpu[cpu.Count / 2]:F4} s/iteration ({flops / cpu[cpu.Count / 2] / 1e9:F1} GFLOP per CPU-second); scoring alone CPU {scoreCpu[scoreCpu.Count / 2]:F4} s"));
                }
        return 0;
    }

    /// <summary>Streaming read bandwidth over the matrix (a floor for memory-bound diag iterations).</summary>
    private static void MeasureBandwidth(DataMatrix data)
    {
        double best = double.MaxValue, sink = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            var sw = Stopwatch.StartNew();
            sink += System.Numerics.Tensors.TensorPrimitives.Sum<double>(data.Values);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read bandwidth: {data.Values.Length * 8 / best / 1e9:F1} GB/s ({best:F4} s per pass over the matrix; checksum {sink:G6})"));
    }

    /// <summary>
    /// Per-iteration times from the CLI's start (one EM iteration after k-means), with the model's tiny entries
    /// (0 &lt; |v| &lt; 1e-150: the source of subnormal products in the kernel) counted per iteration.
    /// </summary>
    private static int Trace(DataMatrix data, int[] ks, CovarianceType[] covs, int iterations, int threads)
    {
        foreach (var cov in covs)
            foreach (int k in ks)
            {
                var model = GaussianMixtureFitter.Fit(data, new EmOptions(k, cov, MaxIter: 1), threads).Model;
                for (int i = 0; i < iterations; i++)
                {
                    int tinyMeans = model.Means.SelectMany(m => m).Count(Tiny);
                    int tinyPrecisions = model.PrecisionsCholesky.SelectMany(m => m).Count(Tiny);
                    var sw = Stopwatch.StartNew();
                    var stats = SufficientStatistics.Compute(model, data, threads);
                    double eStep = sw.Elapsed.TotalSeconds;
                    model = MStep.Apply(stats, 1e-6);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{cov,-5} K={k} iteration {i + 1}: {sw.Elapsed.TotalSeconds:F4} s (E-step {eStep:F4}); lower bound {stats.MeanLogLikelihood:R}; tiny means {tinyMeans}, tiny precisions {tinyPrecisions}"));
                }
            }
        return 0;
    }

    /// <summary>
    /// E-steps with the model after iteration 1 and the model after <paramref name="iterations"/>, alternated with a
    /// warm JIT: separates a data-dependent slow path from warm-up effects. Thread CPU time is the 1-thread measure.
    /// </summary>
    private static int AlternateModels(DataMatrix data, int k, CovarianceType cov, int iterations, int threads)
    {
        var early = GaussianMixtureFitter.Fit(data, new EmOptions(k, cov, MaxIter: 1), threads).Model;
        early = MStep.Apply(SufficientStatistics.Compute(early, data, threads), 1e-6);
        var late = early;
        for (int i = 0; i < iterations; i++) late = MStep.Apply(SufficientStatistics.Compute(late, data, threads), 1e-6);
        if (iterations == 0) late = StartModel(data, k, cov);   // the quick-em start model against the CLI's
        for (int round = 0; round < 6; round++)
            foreach (var (name, model) in new[] { ("early", early), ("late", late) })
            {
                var cpu0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                SufficientStatistics.Compute(model, data, threads);
                double wall = sw.Elapsed.TotalSeconds;
                double cpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} {name,-5}: wall {wall:F4} s, process CPU {cpu:F4} s"));
            }
        return 0;
    }

    /// <summary>Scalar replay of the diag E-step terms for two models, counting subnormal intermediate results.</summary>
    private static int CountSubnormals(DataMatrix data, int k, int threads)
    {
        var models = new[]
        {
            ("quick-em start", StartModel(data, k, CovarianceType.Diag)),
            ("cli start", GaussianMixtureFitter.Fit(data, new EmOptions(k, CovarianceType.Diag, MaxIter: 1), threads).Model),
        };
        foreach (var (name, model) in models)
        {
            int d = data.Cols;
            long normSub = 0, vSub = 0, s2Sub = 0, expBand = 0, wNonFinite = 0;
            var w = new double[k];
            var sw = Stopwatch.StartNew();
            SufficientStatistics.Compute(model, data, 1);
            double seconds = sw.Elapsed.TotalSeconds;
            for (int r = 0; r < data.Rows; r++)
            {
                var x = data.Row(r);
                double max = double.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    double q = 0;
                    for (int i = 0; i < d; i++)
                    {
                        double y = (x[i] - model.Means[c][i]) * model.PrecisionsCholesky[c][i];
                        double yy = y * y;
                        if (yy != 0 && Math.Abs(yy) < double.Epsilon * 4503599627370496.0) normSub++;
                        q += yy;
                    }
                    w[c] = -0.5 * (d * Math.Log(2 * Math.PI) + q) + Math.Log(model.Weights[c]);
                    if (!double.IsFinite(w[c])) wNonFinite++;
                    max = Math.Max(max, w[c]);
                }
                double sum = 0;
                for (int c = 0; c < k; c++) sum += w[c] - max >= -600 ? Math.Exp(w[c] - max) : 0;
                double l = Math.Log(sum) + max;
                for (int c = 0; c < k; c++)
                {
                    double t = w[c] - l;
                    if (t < -100 && t >= -600) expBand++;
                    double resp = t >= -600 ? Math.Exp(t) : 0;
                    for (int i = 0; i < d; i++)
                    {
                        double e = x[i] - model.Means[c][i];
                        double v = e * resp;
                        if (v != 0 && Math.Abs(v) < 2.2250738585072014E-308) vSub++;
                        double s2 = v * e;
                        if (s2 != 0 && Math.Abs(s2) < 2.2250738585072014E-308) s2Sub++;
                    }
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: E-step {seconds:F4} s; subnormal y² {normSub}, v {vSub}, v·e {s2Sub}; responsibilities in [e^-600, e^-100) {expBand}; non-finite w {wNonFinite}"));
        }
        return 0;
    }

    private static bool Tiny(double v) => v != 0 && Math.Abs(v) < 1e-150;

    /// <summary>A realistic model: k-means init (one seeding) then two EM iterations, so responsibilities are not uniform.</summary>
    private static GaussianMixture StartModel(DataMatrix data, int k, CovarianceType cov) =>
        GaussianMixtureFitter.Fit(data, new EmOptions(k, cov, MaxIter: 2, KMeansSeedings: 1, KMeansMaxIter: 10)).Model;

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
