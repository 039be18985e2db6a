using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace DistGmm.Numerics;

/// <summary>
/// The E-step kernel path this process runs, chosen once at start-up from what the runtime accelerates: 512-bit
/// (AVX-512), else 256-bit (AVX2 + FMA), else 128-bit (NEON on ARM64, SSE on old x64). Every path gives the same
/// bits (see <see cref="EStepKernel"/>), so workers on different processors merge into the same model.
/// </summary>
public static class KernelPath
{
    /// <summary>Vector width of the kernels: 512, 256 or 128 bits.</summary>
    public static int VectorBits { get; } =
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>
    /// Whether fused multiply-add is a hardware instruction here. The kernels always fuse (the bits depend on it);
    /// without hardware FMA (x64 before Haswell/Piledriver, or FMA switched off) the runtime computes each FMA exactly in
    /// software, which keeps the bits and costs far more time.
    /// </summary>
    public static bool HardwareFma { get; } = Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>The instruction set behind <see cref="VectorBits"/>, e.g. "AVX-512", "AVX2", "NEON", "SSE4.1".</summary>
    public static string InstructionSet { get; } = VectorBits switch
    {
        512 => "AVX-512",
        256 => "AVX2",
        _ when AdvSimd.IsSupported => "NEON",
        _ when Avx.IsSupported => "AVX (128-bit vectors)",
        _ when Sse41.IsSupported => "SSE4.1",
        _ => "SSE2",
    };

    /// <summary>One line for logs and benchmarks: "256-bit AVX2, hardware FMA".</summary>
    public static string Describe() =>
        $"{VectorBits}-bit {InstructionSet}, {(HardwareFma ? "hardware FMA" : "no hardware FMA (exact software FMA: slow)")}";

    /// <summary>
    /// The double-precision FMA peak of this machine on the kernel path, with its inputs (see <see cref="FmaPeak"/>):
    /// the larger of the nominal figure — two FMA pipes per core at the /proc/cpuinfo clock, as on current x64 server
    /// cores and Neoverse; the FMA datapath is 256 bits wide on AMD Zen 2–4 (a 512-bit FMA takes two passes) and as wide
    /// as the path elsewhere — and what one core measurably sustains on independent FMAs of the path's width, times
    /// the cores. The nominal clock alone understated the peak where the cores boost: on a 2-vCPU Zen 4 VM whose
    /// /proc/cpuinfo says 2.596 GHz, a core sustained 58.5 GFLOP/s on 256-bit FMAs (3.66 GHz), not 41.5.
    /// </summary>
    public static FmaPeak Peak(int? vectorBits = null)
    {
        int bits = vectorBits ?? VectorBits;
        var (mhz, vendor, family) = ReadCpuInfo();
        int datapath = bits;
        if (bits == 512 && vendor == "AuthenticAMD" && family is >= 23 and <= 25) datapath = 256;   // Zen 2–4 double-pump AVX-512
        int doubles = datapath / 64;
        int cores = Environment.ProcessorCount;
        double nominal = cores * mhz / 1000 * 2 * doubles * 2;
        double measured = MeasuredCoreGflops(bits);
        double peak = double.IsNaN(nominal) ? cores * measured : Math.Max(nominal, cores * measured);
        return new FmaPeak(cores, mhz / 1000, 2, doubles, bits, HardwareFma, peak, measured, nominal);
    }

    private static readonly double[] Measured = [double.NaN, double.NaN, double.NaN];

    /// <summary>
    /// GFLOP per CPU-second one core sustains on 12 independent FMA chains of <paramref name="bits"/>-bit vectors (the
    /// best of several short runs, timed by this thread's CPU time where the OS gives it, so other load does not count;
    /// measured once per width, ~50 ms).
    /// </summary>
    public static double MeasuredCoreGflops(int bits)
    {
        int slot = bits switch { 512 => 2, 256 => 1, 128 => 0, _ => throw new ArgumentOutOfRangeException(nameof(bits), bits, "128, 256 or 512") };
        lock (Measured)
        {
            if (!double.IsNaN(Measured[slot])) return Measured[slot];
            if (bits > VectorBits) return Measured[slot] = double.NaN;
            const long Iterations = 200_000;
            double best = 0, sink = 0;
            for (int run = 0; run < 8; run++)
            {
                double start = ThreadCpuSeconds();
                long clock = System.Diagnostics.Stopwatch.GetTimestamp();
                sink += bits switch { 512 => FmaChains<Vector512<double>>(Iterations), 256 => FmaChains<Vector256<double>>(Iterations), _ => FmaChains<Vector128<double>>(Iterations) };
                double seconds = double.IsNaN(start) ? System.Diagnostics.Stopwatch.GetElapsedTime(clock).TotalSeconds : ThreadCpuSeconds() - start;
                if (run > 0 && seconds > 0) best = Math.Max(best, Iterations * 12.0 * (bits / 64) * 2 / seconds / 1e9);   // run 0: JIT warm-up
            }
            GC.KeepAlive(sink);
            return Measured[slot] = best;
        }
    }

    /// <summary>12 independent FMA chains of n steps each on <typeparamref name="TV"/> (Vector128/256/512 of double).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaChains<TV>(long n) where TV : struct
    {
        TV m = Splat<TV>(0.999999), c = Splat<TV>(1e-9);
        TV a0 = Splat<TV>(0), a1 = Splat<TV>(1), a2 = Splat<TV>(2), a3 = Splat<TV>(3), a4 = Splat<TV>(4), a5 = Splat<TV>(5),
            a6 = Splat<TV>(6), a7 = Splat<TV>(7), a8 = Splat<TV>(8), a9 = Splat<TV>(9), a10 = Splat<TV>(10), a11 = Splat<TV>(11);
        for (long i = 0; i < n; i++)
        {
            a0 = MulAdd(a0, m, c); a1 = MulAdd(a1, m, c); a2 = MulAdd(a2, m, c); a3 = MulAdd(a3, m, c); a4 = MulAdd(a4, m, c); a5 = MulAdd(a5, m, c);
            a6 = MulAdd(a6, m, c); a7 = MulAdd(a7, m, c); a8 = MulAdd(a8, m, c); a9 = MulAdd(a9, m, c); a10 = MulAdd(a10, m, c); a11 = MulAdd(a11, m, c);
        }
        return First(a0) + First(a1) + First(a2) + First(a3) + First(a4) + First(a5) + First(a6) + First(a7) + First(a8) + First(a9) + First(a10) + First(a11);
    }

    // Per-width operations for FmaChains: the JIT compiles each instantiation with only its branch (no boxing).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Splat<TV>(double x) where TV : struct =>
        typeof(TV) == typeof(Vector512<double>) ? (TV)(object)Vector512.Create(x)
        : typeof(TV) == typeof(Vector256<double>) ? (TV)(object)Vector256.Create(x) : (TV)(object)Vector128.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV MulAdd<TV>(TV a, TV b, TV c) where TV : struct =>
        typeof(TV) == typeof(Vector512<double>) ? (TV)(object)Vector512.FusedMultiplyAdd((Vector512<double>)(object)a, (Vector512<double>)(object)b, (Vector512<double>)(object)c)
        : typeof(TV) == typeof(Vector256<double>) ? (TV)(object)Vector256.FusedMultiplyAdd((Vector256<double>)(object)a, (Vector256<double>)(object)b, (Vector256<double>)(object)c)
        : (TV)(object)Vector128.FusedMultiplyAdd((Vector128<double>)(object)a, (Vector128<double>)(object)b, (Vector128<double>)(object)c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double First<TV>(TV v) where TV : struct =>
        typeof(TV) == typeof(Vector512<double>) ? ((Vector512<double>)(object)v).ToScalar()
        : typeof(TV) == typeof(Vector256<double>) ? ((Vector256<double>)(object)v).ToScalar() : ((Vector128<double>)(object)v).ToScalar();

    /// <summary>This thread's CPU time in seconds (Linux: CLOCK_THREAD_CPUTIME_ID), or NaN where not available (then wall time is used).</summary>
    private static unsafe double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        try
        {
            long* ts = stackalloc long[2];
            return ClockGetTime(3, ts) == 0 ? ts[0] + ts[1] * 1e-9 : double.NaN;
        }
        catch (DllNotFoundException) { return double.NaN; }
        catch (EntryPointNotFoundException) { return double.NaN; }
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern unsafe int ClockGetTime(int clockId, long* timespec);

    private static (double Mhz, string Vendor, int Family) ReadCpuInfo()
    {
        double mhz = double.NaN;
        string vendor = "";
        int family = 0;
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0) continue;
                    var key = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (key == "cpu MHz" && double.IsNaN(mhz)) double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out mhz);
                    else if (key == "vendor_id" && vendor.Length == 0) vendor = value;
                    else if (key == "cpu family" && family == 0) int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out family);
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return (mhz, vendor, family);
    }
}

/// <summary>
/// A double-precision FMA peak (<see cref="Gflops"/>) and its inputs: the nominal Cores × ClockGHz × FmaPipes ×
/// DoublesPerPipe × 2 flops (NaN when the clock is unknown, e.g. ARM64 Linux, whose /proc/cpuinfo has no "cpu MHz")
/// and the measured GFLOP/s of one core on independent FMAs; the peak is the larger of nominal and Cores × measured.
/// </summary>
public sealed record FmaPeak(int Cores, double ClockGHz, int FmaPipes, int DoublesPerPipe, int VectorBits, bool HardwareFma, double Gflops,
    double MeasuredCoreGflops, double NominalGflops)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Gflops:0.0} GFLOP/s ({VectorBits}-bit path{(HardwareFma ? "" : ", no hardware FMA")}): the larger of {Cores} cores × {MeasuredCoreGflops:0.0} GFLOP/s " +
        $"measured per core (independent FMAs{(HardwareFma && MeasuredCoreGflops > 0 ? $", i.e. {MeasuredCoreGflops / (FmaPipes * DoublesPerPipe * 2):0.00} GHz" : "")}) " +
        $"and nominal {Cores} cores × {ClockGHz:0.000} GHz × {FmaPipes} FMA pipes × {DoublesPerPipe} doubles × 2 = {NominalGflops:0.0}");
}
