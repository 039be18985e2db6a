using System.Globalization;
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
    /// The double-precision FMA peak of this machine on the kernel path, with its inputs (see <see cref="FmaPeak"/>).
    /// Assumes two FMA pipes per core at the nominal clock (turbo ignored), as on current x64 server cores and
    /// Neoverse; the FMA datapath is 256 bits wide on AMD Zen 2–4 (a 512-bit FMA takes two passes) and as wide as
    /// the path elsewhere.
    /// </summary>
    public static FmaPeak Peak(int? vectorBits = null)
    {
        int bits = vectorBits ?? VectorBits;
        var (mhz, vendor, family) = ReadCpuInfo();
        int datapath = bits;
        if (bits == 512 && vendor == "AuthenticAMD" && family is >= 23 and <= 25) datapath = 256;   // Zen 2–4 double-pump AVX-512
        int doubles = datapath / 64;
        return new FmaPeak(Environment.ProcessorCount, mhz / 1000, 2, doubles, bits, HardwareFma,
            Environment.ProcessorCount * mhz / 1000 * 2 * doubles * 2);
    }

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
/// A double-precision FMA peak and its inputs: Cores × ClockGHz × FmaPipes × DoublesPerPipe × 2 flops (NaN when the
/// clock is unknown, e.g. ARM64 Linux, whose /proc/cpuinfo has no "cpu MHz").
/// </summary>
public sealed record FmaPeak(int Cores, double ClockGHz, int FmaPipes, int DoublesPerPipe, int VectorBits, bool HardwareFma, double Gflops)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Cores} cores × {ClockGHz:0.000} GHz × {FmaPipes} FMA pipes × {DoublesPerPipe} doubles × 2 = {Gflops:0.0} GFLOP/s ({VectorBits}-bit path{(HardwareFma ? "" : ", no hardware FMA")})");
}
