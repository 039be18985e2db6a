using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DistGmm.Numerics;
using DistGmm.Numerics.Tests;
using DistGmm.Testing;

namespace DistGmm.Benchmarks;

/// <summary>
/// E-step + statistics (+ M-step) of one EM iteration on the notebook's KDD encoding (494,021 × 39), K = 2, 4, 8,
/// full and diag; extra columns give rows/s and GFLOP/s (2·K·n·d² per iteration for full, 6·K·n·d for diag).
/// Run: dotnet run -c Release --project tests/DistGmm.Benchmarks -- --filter '*EmKernel*'
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class EmKernelBenchmarks
{
    private static readonly Lazy<DataMatrix> Data = new(() => KddNotebookData.Load(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")));
    private GaussianMixture _model = null!;

    [Params(2, 4, 8)]
    public int K { get; set; }

    [Params(CovarianceType.Full, CovarianceType.Diag)]
    public CovarianceType Covariance { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _model = GaussianMixtureFitter.Fit(Data.Value, new EmOptions(K, Covariance, MaxIter: 2, KMeansSeedings: 1, KMeansMaxIter: 10)).Model;

    [Benchmark]
    public GaussianMixture EmIteration() => MStep.Apply(SufficientStatistics.Compute(_model, Data.Value, Threads), 1e-6);

    internal static double Flops(int k, CovarianceType type, int n, int d) =>
        type is CovarianceType.Full or CovarianceType.Tied ? 2.0 * k * n * d * d : 6.0 * k * n * d;

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig()
        {
            // In-process: no boilerplate project build (which times out on a busy 2-core machine); results outside the repo.
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
            ArtifactsPath = Path.Combine(Path.GetTempPath(), "distgmm-benchmarks");
            AddColumn(new DerivedColumn("rows/s", (k, t, seconds) => $"{KddRows / seconds / 1e6:F2} M"));
            AddColumn(new DerivedColumn("GFLOP/s", (k, t, seconds) => $"{Flops(k, t, KddRows, 39) / seconds / 1e9:F1}"));
        }
    }

    private const int KddRows = 494_021;

    /// <summary>A column computed from the mean time and the K/Covariance parameters of a case.</summary>
    private sealed class DerivedColumn(string name, Func<int, CovarianceType, double, string> format) : IColumn
    {
        public string Id => name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => name;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is null) return "-";
            int k = (int)benchmarkCase.Parameters["K"];
            var type = (CovarianceType)benchmarkCase.Parameters["Covariance"];
            return format(k, type, report.ResultStatistics.Mean / 1e9);
        }
    }
}
