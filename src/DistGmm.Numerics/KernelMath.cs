using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistGmm.Numerics;

/// <summary>
/// exp and log for the E-step's log-sum-exp, inlined into the kernel. Vector256.Exp/Log are out-of-line CoreLib
/// calls that start as tier-0 code (≈3.5× slower) and are re-jitted only after ~1 s of EM, on a background thread
/// that competes with the workers; that was the "early iterations slow" diag profile. Both are accurate to a few ulp
/// (Cody–Waite reduction, Taylor/atanh series), checked against Math.Exp/Math.Log in the tests.
/// </summary>
internal static class KernelMath
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01;   // high 32 bits of ln 2: n·Ln2Hi is exact for |n| < 2^21
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double RoundMagic = 6755399441055744.0;        // 1.5·2^52: adding it leaves round(n) in the low mantissa bits
    private const double TwoTo52 = 4503599627370496.0;
    private const double Sqrt2 = 1.4142135623730951;

    /// <summary>
    /// exp(x) for x in [−700, 700] (the caller clamps the lower end); x &gt; 700 gives +∞, NaN gives NaN.
    /// x = n·ln 2 + r, |r| ≤ ½ ln 2; e^r by its Taylor series to r¹³ (truncation &lt; 1e−17); 2^n from the exponent bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x)
    {
        var shifted = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
        var n = shifted - Vector256.Create(RoundMagic);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(1.0 / 6227020800);                      // 1/13!
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 479001600));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 39916800));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 3628800));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 362880));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 40320));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 5040));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0));
        // Low bits of `shifted` hold n (two's complement); (n + 1023) << 52 is 2^n for n in [−1022, 1023].
        var scale = ((shifted.AsUInt64() + Vector256.Create(1023UL)) << 52).AsDouble();
        var result = p * scale;
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(700.0)), Vector256.Create(double.PositiveInfinity), result);
    }

    /// <summary>
    /// log(s) for s ≥ 1 (the log-sum-exp sum always is: its largest term is e⁰); other lanes take Vector256.Log.
    /// s = 2^e·f with f in [√½, √2), log f = 2·atanh(u), u = (f−1)/(f+1), |u| ≤ 0.172, series to u¹⁹.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> LogAtLeastOne(Vector256<double> s)
    {
        if (!Vector256.GreaterThanOrEqualAll(s, Vector256.Create(1.0)) || !Vector256.LessThanAll(s, Vector256.Create(double.PositiveInfinity)))
            return Vector256.Log(s);
        var bits = s.AsUInt64();
        var f = ((bits & Vector256.Create(0x000F_FFFF_FFFF_FFFFUL)) | Vector256.Create(0x3FF0_0000_0000_0000UL)).AsDouble();
        // Biased exponent as a double, exactly: OR it into the mantissa of 2^52 and subtract 2^52.
        var e = ((bits >> 52) | Vector256.Create(0x4330_0000_0000_0000UL)).AsDouble() - Vector256.Create(TwoTo52 + 1023);
        var big = Vector256.GreaterThanOrEqual(f, Vector256.Create(Sqrt2));
        f = Vector256.ConditionalSelect(big, f * Vector256.Create(0.5), f);
        e += Vector256.Create(1.0) & big;
        var u = (f - Vector256.Create(1.0)) / (f + Vector256.Create(1.0));
        var u2 = u * u;
        var t = Vector256.Create(1.0 / 19);
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 17));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 15));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 13));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 11));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 9));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 7));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 5));
        t = Vector256.FusedMultiplyAdd(t, u2, Vector256.Create(1.0 / 3));
        // log f = 2u + 2u·u²·t: the leading term exact-ish, the tail small.
        var twoU = u + u;
        var logF = Vector256.FusedMultiplyAdd(twoU * u2, t, twoU);
        return Vector256.FusedMultiplyAdd(e, Vector256.Create(Ln2Hi), Vector256.FusedMultiplyAdd(e, Vector256.Create(Ln2Lo), logF));
    }
}
