using BenchmarkDotNet.Running;
using DistGmm.Benchmarks;

// `quick-em [--k 2,4,8] [--cov full,diag] [--iterations 5] [--threads -1] [--data path] [--random-dims 118]` prints seconds per EM
// iteration without a BenchmarkDotNet run (diagnostics: `--trace` per-iteration times from the CLI's start, `--ab` early vs late
// model alternated with a warm JIT, `--subnormals` scalar replay counting subnormal terms); `quick-parquet [--repeats 7]` does the same for the Parquet codec;
// anything else goes to BenchmarkDotNet's switcher.
if (args.Length > 0 && args[0] == "quick-em")
    return QuickEm.Run(args[1..]);
if (args.Length > 0 && args[0] == "quick-parquet")
    return ParquetSpeed.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(QuickEm).Assembly).Run(args);
return 0;
