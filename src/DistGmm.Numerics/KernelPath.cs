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
                sink += bits switch { 512 => FmaChains512(Iterations), 256 => FmaChains256(Iterations), _ => FmaChains128(Iterations) };
                double seconds = double.IsNaN(start) ? System.Diagnostics.Stopwatch.GetElapsedTime(clock).TotalSeconds : ThreadCpuSeconds() - start;
                if (run > 0 && seconds > 0) best = Math.Max(best, Iterations * 12.0 * (bits / 64) * 2 / seconds / 1e9);   // run 0: JIT warm-up
            }
            GC.KeepAlive(sink);
            return Measured[slot] = best;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaChains512(long n)
    {
        var m = Vector512.Create(0.999999);
        var c = Vector512.Create(1e-9);
        Vector512<double> a0 = Vector512.Create(0.0), a1 = Vector512.Create(1.0), a2 = Vector512.Create(2.0), a3 = Vector512.Create(3.0),
            a4 = Vector512.Create(4.0), a5 = Vector512.Create(5.0), a6 = Vector512.Create(6.0), a7 = Vector512.Create(7.0),
            a8 = Vector512.Create(8.0), a9 = Vector512.Create(9.0), a10 = Vector512.Create(10.0), a11 = Vector512.Create(11.0);
        for (long i = 0; i < n; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c); a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c); a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c); a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaChains256(long n)
    {
        var m = Vector256.Create(0.999999);
        var c = Vector256.Create(1e-9);
        Vector256<double> a0 = Vector256.Create(0.0), a1 = Vector256.Create(1.0), a2 = Vector256.Create(2.0), a3 = Vector256.Create(3.0),
            a4 = Vector256.Create(4.0), a5 = Vector256.Create(5.0), a6 = Vector256.Create(6.0), a7 = Vector256.Create(7.0),
            a8 = Vector256.Create(8.0), a9 = Vector256.Create(9.0), a10 = Vector256.Create(10.0), a11 = Vector256.Create(11.0);
        for (long i = 0; i < n; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c); a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c); a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c); a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c); a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaChains128(long n)
    {
        var m = Vector128.Create(0.999999);
        var c = Vector128.Create(1e-9);
        Vector128<double> a0 = Vector128.Create(0.0), a1 = Vector128.Create(1.0), a2 = Vector128.Create(2.0), a3 = Vector128.Create(3.0),
            a4 = Vector128.Create(4.0), a5 = Vector128.Create(5.0), a6 = Vector128.Create(6.0), a7 = Vector128.Create(7.0),
            a8 = Vector128.Create(8.0), a9 = Vector128.Create(9.0), a10 = Vector128.Create(10.0), a11 = Vector128.Create(11.0);
        for (long i = 0; i < n; i++)
        {
            a0 = Vector128.FusedMultiplyAdd(a0, m, c); a1 = Vector128.FusedMultiplyAdd(a1, m, c); a2 = Vector128.FusedMultiplyAdd(a2, m, c);
            a3 = Vector128.FusedMultiplyAdd(a3, m, c); a4 = Vector128.FusedMultiplyAdd(a4, m, c); a5 = Vector128.FusedMultiplyAdd(a5, m, c);
            a6 = Vector128.FusedMultiplyAdd(a6, m, c); a7 = Vector128.FusedMultiplyAdd(a7, m, c); a8 = Vector128.FusedMultiplyAdd(a8, m, c);
            a9 = Vector128.FusedMultiplyAdd(a9, m, c); a10 = Vector128.FusedMultiplyAdd(a10, m, c); a11 = Vector128.FusedMultiplyAdd(a11, m, c);
        }
        return Vector128.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

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
