using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistGmm.Numerics;

/// <summary>
/// exp and log for the E-step's log-sum-exp, inlined into the kernel. Vector256.Exp/Log are out-of-line CoreLib
/// calls that start as tier-0 code (≈3.5× slower) and are re-jitted only after ~1 s of EM, on a background thread
/// that competes with the workers; that was the "early iterations slow" diag profile. Both are accurate to a few ulp
/// (Cody–Waite reduction, Taylor/atanh series), checked against Math.Exp/Math.Log in the tests.
/// One lane-wise formula for every vector width (<see cref="ISimd{TV}"/>): each lane's result is the same bits
/// whatever the width, which the cross-width bit-identity of the E-step rests on.
/// </summary>
internal static class KernelMath
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01;   // high 32 bits of ln 2: n·Ln2Hi is exact for |n| < 2^21
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double RoundMagic = 6755399441055744.0;        // 1.5·2^52: adding it leaves round(n) in the low mantissa bits
    private const double TwoTo52 = 4503599627370496.0;
    private const double Sqrt2 = 1.4142135623730951;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x) => Exp<Simd256, Vector256<double>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Exp(Vector128<double> x) => Exp<Simd128, Vector128<double>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> LogAtLeastOne(Vector256<double> s) => LogAtLeastOne<Simd256, Vector256<double>>(s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> LogAtLeastOne(Vector128<double> s) => LogAtLeastOne<Simd128, Vector128<double>>(s);

    /// <summary>
    /// exp(x) for x in [−700, 700] (the caller clamps the lower end); x &gt; 700 gives +∞, NaN gives NaN.
    /// x = n·ln 2 + r, |r| ≤ ½ ln 2; e^r by its Taylor series to r¹³ (truncation &lt; 1e−17); 2^n from the exponent bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<T, TV>(TV x) where T : ISimd<TV> where TV : struct
    {
        var shifted = T.Fma(x, T.Create(Log2E), T.Create(RoundMagic));
        var n = T.Sub(shifted, T.Create(RoundMagic));
        var r = T.Fma(n, T.Create(-Ln2Hi), x);
        r = T.Fma(n, T.Create(-Ln2Lo), r);
        var p = T.Create(1.0 / 6227020800);                      // 1/13!
        p = T.Fma(p, r, T.Create(1.0 / 479001600));
        p = T.Fma(p, r, T.Create(1.0 / 39916800));
        p = T.Fma(p, r, T.Create(1.0 / 3628800));
        p = T.Fma(p, r, T.Create(1.0 / 362880));
        p = T.Fma(p, r, T.Create(1.0 / 40320));
        p = T.Fma(p, r, T.Create(1.0 / 5040));
        p = T.Fma(p, r, T.Create(1.0 / 720));
        p = T.Fma(p, r, T.Create(1.0 / 120));
        p = T.Fma(p, r, T.Create(1.0 / 24));
        p = T.Fma(p, r, T.Create(1.0 / 6));
        p = T.Fma(p, r, T.Create(0.5));
        p = T.Fma(p, r, T.Create(1.0));
        p = T.Fma(p, r, T.Create(1.0));
        // Low bits of `shifted` hold n (two's complement); (n + 1023) << 52 is 2^n for n in [−1022, 1023].
        var result = T.Mul(p, T.Pow2FromLowBits(shifted));
        return T.Select(T.GreaterThan(x, T.Create(700.0)), T.Create(double.PositiveInfinity), result);
    }

    /// <summary>
    /// log(s) for s ≥ 1 (the log-sum-exp sum always is: its largest term is e⁰); lanes outside [1, ∞) (NaN, or
    /// non-finite weighted log-probabilities) take Math.Log, lane by lane, so no lane depends on its neighbours.
    /// s = 2^e·f with f in [√½, √2), log f = 2·atanh(u), u = (f−1)/(f+1), |u| ≤ 0.172, series to u¹⁹.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LogAtLeastOne<T, TV>(TV s) where T : ISimd<TV> where TV : struct
    {
        var f = T.MantissaOne(s);
        // Biased exponent as a double, exactly: OR it into the mantissa of 2^52 and subtract 2^52.
        var e = T.Sub(T.ExponentBits(s), T.Create(TwoTo52 + 1023));
        var big = T.GreaterOrEqual(f, T.Create(Sqrt2));
        f = T.Select(big, T.Mul(f, T.Create(0.5)), f);
        e = T.Add(e, T.And(T.Create(1.0), big));
        var u = T.Div(T.Sub(f, T.Create(1.0)), T.Add(f, T.Create(1.0)));
        var u2 = T.Mul(u, u);
        var t = T.Create(1.0 / 19);
        t = T.Fma(t, u2, T.Create(1.0 / 17));
        t = T.Fma(t, u2, T.Create(1.0 / 15));
        t = T.Fma(t, u2, T.Create(1.0 / 13));
        t = T.Fma(t, u2, T.Create(1.0 / 11));
        t = T.Fma(t, u2, T.Create(1.0 / 9));
        t = T.Fma(t, u2, T.Create(1.0 / 7));
        t = T.Fma(t, u2, T.Create(1.0 / 5));
        t = T.Fma(t, u2, T.Create(1.0 / 3));
        // log f = 2u + 2u·u²·t: the leading term exact-ish, the tail small.
        var twoU = T.Add(u, u);
        var logF = T.Fma(T.Mul(twoU, u2), t, twoU);
        var result = T.Fma(e, T.Create(Ln2Hi), T.Fma(e, T.Create(Ln2Lo), logF));
        if (T.AllInRange(s, T.Create(1.0), T.Create(double.PositiveInfinity))) return result;
        return T.PatchOutOfRange(s, result, T.Create(1.0), T.Create(double.PositiveInfinity));
    }
}

/// <summary>
/// The lane-wise operations the width-independent kernels are written with; one zero-size struct per vector width,
/// so the JIT specialises (and inlines) each kernel per width. Every operation is lane-wise: a lane's result never
/// depends on the width. Fma is fused on every width (hardware FMA, or the runtime's exact software fallback where
/// the processor has none), so the bits are the same either way.
/// </summary>
internal unsafe interface ISimd<TV> where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Create(double x);
    static abstract TV Load(double* p);
    static abstract void Store(TV v, double* p);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Div(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    static abstract TV And(TV a, TV b);
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV GreaterThan(TV a, TV b);
    static abstract TV GreaterOrEqual(TV a, TV b);
    static abstract TV Select(TV mask, TV a, TV b);
    /// <summary>2^n from the low mantissa bits of x + 1.5·2^52 (n in [−1022, 1023]).</summary>
    static abstract TV Pow2FromLowBits(TV shifted);
    /// <summary>The mantissa of s with the exponent of 1: f in [1, 2).</summary>
    static abstract TV MantissaOne(TV s);
    /// <summary>2^52 + the biased exponent of s, as a double.</summary>
    static abstract TV ExponentBits(TV s);
    static abstract bool AllInRange(TV s, TV low, TV highExclusive);
    /// <summary>Whether every lane of a is ≥ the same lane of b (false for a NaN lane).</summary>
    static abstract bool AllGreaterOrEqual(TV a, TV b);
    /// <summary>Lanes of s outside [low, high) get Math.Log(s), the others keep their result.</summary>
    static abstract TV PatchOutOfRange(TV s, TV result, TV low, TV highExclusive);
}

internal readonly unsafe struct Simd512 : ISimd<Vector512<double>>
{
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Create(double x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(double* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<double> v, double* p) => Vector512.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Sub(Vector512<double> a, Vector512<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Mul(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Div(Vector512<double> a, Vector512<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Max(Vector512<double> a, Vector512<double> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> And(Vector512<double> a, Vector512<double> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> GreaterThan(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> GreaterOrEqual(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Select(Vector512<double> m, Vector512<double> a, Vector512<double> b) => Vector512.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Pow2FromLowBits(Vector512<double> shifted) => ((shifted.AsUInt64() + Vector512.Create(1023UL)) << 52).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> MantissaOne(Vector512<double> s) =>
        ((s.AsUInt64() & Vector512.Create(0x000F_FFFF_FFFF_FFFFUL)) | Vector512.Create(0x3FF0_0000_0000_0000UL)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ExponentBits(Vector512<double> s) => ((s.AsUInt64() >> 52) | Vector512.Create(0x4330_0000_0000_0000UL)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllInRange(Vector512<double> s, Vector512<double> low, Vector512<double> high) =>
        Vector512.GreaterThanOrEqualAll(s, low) && Vector512.LessThanAll(s, high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllGreaterOrEqual(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThanOrEqualAll(a, b);
    public static Vector512<double> PatchOutOfRange(Vector512<double> s, Vector512<double> result, Vector512<double> low, Vector512<double> high)
    {
        for (int i = 0; i < 8; i++)
            if (!(s[i] >= low[i] && s[i] < high[i])) result = result.WithElement(i, Math.Log(s[i]));
        return result;
    }
}

internal readonly unsafe struct Simd256 : ISimd<Vector256<double>>
{
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Create(double x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Load(double* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<double> v, double* p) => Vector256.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Sub(Vector256<double> a, Vector256<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Mul(Vector256<double> a, Vector256<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Div(Vector256<double> a, Vector256<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Max(Vector256<double> a, Vector256<double> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> And(Vector256<double> a, Vector256<double> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> GreaterThan(Vector256<double> a, Vector256<double> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> GreaterOrEqual(Vector256<double> a, Vector256<double> b) => Vector256.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Select(Vector256<double> m, Vector256<double> a, Vector256<double> b) => Vector256.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Pow2FromLowBits(Vector256<double> shifted) => ((shifted.AsUInt64() + Vector256.Create(1023UL)) << 52).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> MantissaOne(Vector256<double> s) =>
        ((s.AsUInt64() & Vector256.Create(0x000F_FFFF_FFFF_FFFFUL)) | Vector256.Create(0x3FF0_0000_0000_0000UL)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> ExponentBits(Vector256<double> s) => ((s.AsUInt64() >> 52) | Vector256.Create(0x4330_0000_0000_0000UL)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllInRange(Vector256<double> s, Vector256<double> low, Vector256<double> high) =>
        Vector256.GreaterThanOrEqualAll(s, low) && Vector256.LessThanAll(s, high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllGreaterOrEqual(Vector256<double> a, Vector256<double> b) => Vector256.GreaterThanOrEqualAll(a, b);
    public static Vector256<double> PatchOutOfRange(Vector256<double> s, Vector256<double> result, Vector256<double> low, Vector256<double> high)
    {
        for (int i = 0; i < 4; i++)
            if (!(s[i] >= low[i] && s[i] < high[i])) result = result.WithElement(i, Math.Log(s[i]));
        return result;
    }
}

internal readonly unsafe struct Simd128 : ISimd<Vector128<double>>
{
    public static int Count => 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Create(double x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Load(double* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<double> v, double* p) => Vector128.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Sub(Vector128<double> a, Vector128<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Mul(Vector128<double> a, Vector128<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Div(Vector128<double> a, Vector128<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Max(Vector128<double> a, Vector128<double> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> And(Vector128<double> a, Vector128<double> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> GreaterThan(Vector128<double> a, Vector128<double> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> GreaterOrEqual(Vector128<double> a, Vector128<double> b) => Vector128.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Select(Vector128<double> m, Vector128<double> a, Vector128<double> b) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Pow2FromLowBits(Vector128<double> shifted) => ((shifted.AsUInt64() + Vector128.Create(1023UL)) << 52).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> MantissaOne(Vector128<double> s) =>
        ((s.AsUInt64() & Vector128.Create(0x000F_FFFF_FFFF_FFFFUL)) | Vector128.Create(0x3FF0_0000_0000_0000UL)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> ExponentBits(Vector128<double> s) => ((s.AsUInt64() >> 52) | Vector128.Create(0x4330_0000_0000_0000UL)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllInRange(Vector128<double> s, Vector128<double> low, Vector128<double> high) =>
        Vector128.GreaterThanOrEqualAll(s, low) && Vector128.LessThanAll(s, high);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllGreaterOrEqual(Vector128<double> a, Vector128<double> b) => Vector128.GreaterThanOrEqualAll(a, b);
    public static Vector128<double> PatchOutOfRange(Vector128<double> s, Vector128<double> result, Vector128<double> low, Vector128<double> high)
    {
        for (int i = 0; i < 2; i++)
            if (!(s[i] >= low[i] && s[i] < high[i])) result = result.WithElement(i, Math.Log(s[i]));
        return result;
    }
}
