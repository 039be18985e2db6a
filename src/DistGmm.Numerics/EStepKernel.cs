using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistGmm.Numerics;

/// <summary>
/// The fused E-step: for a block of <see cref="BlockRows"/> rows, weighted log-probabilities, log-sum-exp,
/// responsibilities and (optionally) the centred sufficient statistics, all in cache-resident scratch.
/// Rows are transposed into the lanes (dimension-major, 4 rows per Vector256), so the Mahalanobis term
/// ‖(x−μ)·U‖² is a register-blocked triangular product and the outer-product accumulation a blocked
/// (d×rows)(rows×d) product over the upper triangle only. Lane accumulators are folded once per chunk in a
/// fixed order, so results depend on the block/chunk boundaries only, never on threads.
/// One instance per thread; nothing is allocated per row or per block.
/// </summary>
internal sealed unsafe class EStepKernel
{
    public const int BlockRows = 64;
    private const int PrefetchRows = 32;
    private const int RowGroup = 16;                 // 4 × Vector256 rows in the register tile
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    private readonly GaussianMixture? _model;
    private readonly double[][] _shift;             // statistics are centred on these (the model's means)
    private readonly int _k, _d, _dp;               // dp: d rounded up to a multiple of 4 (zero-padded)
    private readonly bool _triangular;
    private readonly double[][] _precision;          // per component: U padded dp×dp (upper) or diagonal padded dp
    private readonly double[] _meansPadded;         // K × dp
    private readonly double[] _constant;            // −½·d·log 2π + log det + log w, added after the ½ factor
    private readonly double[] _xT;                  // dp × BlockRows
    private readonly double[] _dT;                  // dp × BlockRows: x − μ_k of the component at hand
    private readonly double[] _weightedLogProb;     // K × BlockRows
    private readonly double[] _resp;                // K × BlockRows
    private readonly double[] _lse;                 // BlockRows

    // Statistics lane accumulators (Vector256 lanes, folded at Flush).
    private readonly bool _collect;
    private readonly int _tiles;                    // upper-triangular 4×4 tiles of the dp×dp second moment
    private readonly Vector256<double>[] _nLanes;   // K
    private readonly Vector256<double>[] _s1Lanes;  // K × dp
    private readonly Vector256<double>[] _s2Lanes;  // K × dp (diagonal only)
    private readonly double[] _s2Tiles;             // K × tiles × 16 accumulators × 8 lanes (full; 256-bit path uses lanes 0–3)

    // Full moments are accumulated per panel of PanelBlocks blocks (see DrainPanel).
    // 4 blocks: moment accumulation (cpu − scoring, 1 thread, d=118 K=4) 0.585 → 0.53 s per iteration; 8 was no better.
    private const int PanelBlocks = 4;
    private const int PanelRows = PanelBlocks * BlockRows;
    private readonly double[] _xPanel, _dPanel, _wPanel;   // dp × PanelRows: x, x − μ_k, (x − μ_k)·r_k
    private readonly double[] _rPanel;                     // K × PanelRows responsibilities
    private int _panelBlocks;

    /// <summary>The d² kernels use 512-bit vectors where the hardware has them (same machine ⇒ same bits).</summary>
    public static bool Vector512Available => Vector512.IsHardwareAccelerated;

    private readonly bool _wide;
    private Vector256<double> _llLanes;
    private long _rows;

    public EStepKernel(GaussianMixture model, bool collectStatistics, bool fullSecondMoments, bool? useVector512 = null)
        : this(model, model.Means, collectStatistics, fullSecondMoments)
    {
        _wide = useVector512 ?? Vector512Available;
        if (_wide && !Vector512Available) throw new PlatformNotSupportedException("Vector512 is not hardware accelerated here.");
    }

    /// <summary>A statistics-only kernel: responsibilities come from the caller (hard or random assignments).</summary>
    public EStepKernel(double[][] shift, bool fullSecondMoments)
        : this(null, shift, true, fullSecondMoments) { }

    private EStepKernel(GaussianMixture? model, double[][] shift, bool collectStatistics, bool fullSecondMoments)
    {
        _wide = Vector512Available;
        _model = model;
        _shift = shift;
        _k = shift.Length;
        _d = shift[0].Length;
        _dp = (_d + 3) & ~3;
        _triangular = model?.IsTriangular ?? false;
        _precision = new double[_k][];
        _meansPadded = new double[_k * _dp];
        _constant = new double[_k];
        for (int k = 0; k < _k; k++)
        {
            shift[k].CopyTo(_meansPadded.AsSpan(k * _dp, _d));
            if (model is null) continue;
            var pc = model.PrecisionsCholesky[model.CovarianceType == CovarianceType.Tied ? 0 : k];
            if (_triangular)
            {
                var u = new double[_dp * _dp];
                for (int i = 0; i < _d; i++)
                    for (int j = i; j < _d; j++) u[i * _dp + j] = pc[i * _d + j];
                _precision[k] = u;
            }
            else
            {
                var p = new double[_dp];
                for (int i = 0; i < _d; i++) p[i] = model.CovarianceType == CovarianceType.Spherical ? pc[0] : pc[i];
                _precision[k] = p;
            }
            _constant[k] = model.LogWeights[k];
        }
        _xT = new double[_dp * BlockRows];
        _dT = new double[_dp * BlockRows];
        if (collectStatistics && fullSecondMoments)
        {
            _xPanel = new double[_dp * PanelRows];
            _dPanel = new double[_dp * PanelRows];
            _wPanel = new double[_dp * PanelRows];
            _rPanel = new double[_k * PanelRows];
        }
        else _xPanel = _dPanel = _wPanel = _rPanel = [];
        _weightedLogProb = new double[_k * BlockRows];
        _resp = new double[_k * BlockRows];
        _lse = new double[BlockRows];

        _collect = collectStatistics;
        FullSecondMoments = fullSecondMoments;
        int t4 = _dp / 4;
        _tiles = t4 * (t4 + 1) / 2;
        _nLanes = new Vector256<double>[_k];
        _s1Lanes = new Vector256<double>[collectStatistics ? _k * _dp : 0];
        _s2Lanes = new Vector256<double>[collectStatistics && !fullSecondMoments ? _k * _dp : 0];
        _s2Tiles = new double[collectStatistics && fullSecondMoments ? _k * _tiles * 16 * 8 : 0];
    }

    public bool FullSecondMoments { get; }

    /// <summary>Caller-filled responsibilities for <see cref="AccumulateAssigned"/> (K × BlockRows).</summary>
    public double[] AssignmentScratch => _assignment ??= new double[_k * BlockRows];

    private double[]? _assignment;


    /// <summary>Per-row log-likelihood of the last processed block.</summary>
    public ReadOnlySpan<double> LogLikelihood(int count) => _lse.AsSpan(0, count);

[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ArgMax(int count, Span<int> labels)
    {
        for (int r = 0; r < count; r++)
        {
            int best = 0;
            double bestValue = _weightedLogProb[r];
            for (int k = 1; k < _k; k++)
            {
                double v = _weightedLogProb[k * BlockRows + r];
                if (v > bestValue) { bestValue = v; best = k; }
            }
            labels[r] = best;
        }
    }

    /// <summary>E-step for up to <see cref="BlockRows"/> rows (row-major); accumulates statistics if collecting.</summary>
    /// <remarks>
    /// The hot methods are jitted fully optimised at first call: under tiering they ran unoptimised/instrumented code
    /// for the first iterations, and the background re-JIT competed with both worker threads on a 2-core machine
    /// (the early-iteration slowness of `bench em` diag).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ProcessBlock(ReadOnlySpan<double> rows, int count)
    {
        if (_model is null) throw new InvalidOperationException("This kernel has no model; use AccumulateAssigned.");
        Transpose(rows, count);
        for (int k = 0; k < _k; k++)
        {
            // The diagonal path centres on the fly (x − μ is recomputed, never stored).
            if (_triangular) Center(k);
            fixed (double* xT = _xT)
            fixed (double* mu = &_meansPadded[k * _dp])
            fixed (double* dT = _dT)
            fixed (double* prec = _precision[k])
            fixed (double* q = &_weightedLogProb[k * BlockRows])
            {
                if (_triangular && _wide) TriangularSquaredNorm512(dT, prec, q);
                else if (_triangular) TriangularSquaredNorm(dT, prec, q);
                else DiagonalSquaredNorm(xT, mu, prec, q);
            }
            // scikit-learn: −½(d·log 2π + ‖y‖²) + log det, then + log w.
            double dLog2Pi = _d * Log2Pi;
            double logDet = _model.LogDetPrecisionCholesky[k];
            double logW = _constant[k];
            var vLog2Pi = Vector256.Create(dLog2Pi);
            var vLogDet = Vector256.Create(logDet);
            var vLogW = Vector256.Create(logW);
            var half = Vector256.Create(-0.5);
            fixed (double* row = &_weightedLogProb[k * BlockRows])
                for (int r = 0; r < BlockRows; r += 4)
                    Vector256.Store((half * (vLog2Pi + Vector256.Load(row + r)) + vLogDet) + vLogW, row + r);
        }
        LogSumExp(count);
        if (_collect) Accumulate(count);
    }

    /// <summary>
    /// Accumulates statistics for up to <see cref="BlockRows"/> rows with given responsibilities
    /// (component-major: resp[k * BlockRows + r]); the log-likelihood is not defined here and stays 0.
    /// </summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AccumulateAssigned(ReadOnlySpan<double> rows, int count, ReadOnlySpan<double> responsibilities)
    {
        Transpose(rows, count);
        responsibilities.Slice(0, _k * BlockRows).CopyTo(_resp);
        for (int r = count; r < BlockRows; r++)
            for (int k = 0; k < _k; k++) _resp[k * BlockRows + r] = 0;
        Array.Clear(_lse);
        Accumulate(count);
    }

    /// <summary>Rows (row-major) into xT (dimension-major, BlockRows lanes); padding rows/dimensions stay zero.</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Transpose(ReadOnlySpan<double> rows, int count)
    {
        int d = _d;
        fixed (double* src = rows)
        fixed (double* xT = _xT)
        {
            int r = 0;
            if (Avx2.IsSupported)
            {
                int d4 = d & ~3;
                int groupBytes = 4 * d * sizeof(double);
                for (; r + 4 <= count; r += 4)
                {
                    double* s0 = src + r * d;
                    // Software prefetch of the rows PrefetchRows ahead: the shuffle-heavy loop keeps too few loads in
                    // flight for the hardware prefetcher; measured on KDD diag K=2, 1 thread: 0.028 → 0.015 s per
                    // iteration. A prefetch past the end of the matrix is harmless (it never faults).
                    byte* ahead = (byte*)(s0 + PrefetchRows * d);
                    for (int b = 0; b < groupBytes; b += 64) Sse.Prefetch0(ahead + b);
                    int i = 0;
                    for (; i < d4; i += 4)
                    {
                        // 4×4 transpose: rows r..r+3, dimensions i..i+3.
                        var a = Avx.LoadVector256(s0 + i);
                        var b = Avx.LoadVector256(s0 + d + i);
                        var c = Avx.LoadVector256(s0 + 2 * d + i);
                        var e = Avx.LoadVector256(s0 + 3 * d + i);
                        var ab0 = Avx.UnpackLow(a, b);   // a0 b0 a2 b2
                        var ab1 = Avx.UnpackHigh(a, b);  // a1 b1 a3 b3
                        var ce0 = Avx.UnpackLow(c, e);
                        var ce1 = Avx.UnpackHigh(c, e);
                        double* dst = xT + i * BlockRows + r;
                        Avx.Store(dst, Avx.Permute2x128(ab0, ce0, 0x20));
                        Avx.Store(dst + BlockRows, Avx.Permute2x128(ab1, ce1, 0x20));
                        Avx.Store(dst + 2 * BlockRows, Avx.Permute2x128(ab0, ce0, 0x31));
                        Avx.Store(dst + 3 * BlockRows, Avx.Permute2x128(ab1, ce1, 0x31));
                    }
                    for (; i < d; i++)
                    {
                        double* dst = xT + i * BlockRows + r;
                        dst[0] = s0[i]; dst[1] = s0[d + i]; dst[2] = s0[2 * d + i]; dst[3] = s0[3 * d + i];
                    }
                }
            }
            for (; r < count; r++)
                for (int i = 0; i < d; i++) xT[i * BlockRows + r] = src[r * d + i];
            if (count < BlockRows)
                for (int i = 0; i < d; i++) new Span<double>(xT + i * BlockRows + count, BlockRows - count).Clear();
            // Padding dimensions are zero from construction and never written.
        }
    }

[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Center(int k)
    {
        fixed (double* xT = _xT)
        fixed (double* dT = _dT)
        {
            for (int i = 0; i < _d; i++)
            {
                var mu = Vector256.Create(_meansPadded[k * _dp + i]);
                double* src = xT + i * BlockRows, dst = dT + i * BlockRows;
                for (int r = 0; r < BlockRows; r += 4)
                    Vector256.Store(Vector256.Load(src + r) - mu, dst + r);
            }
            // Padding dimensions are zero from construction and never written.
        }
    }

    /// <summary>q[r] = Σ_j (Σ_{i≤j} dT[i,r]·U[i,j])², 16 rows × 4 columns per register tile.</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TriangularSquaredNorm(double* dT, double* u, double* q)
    {
        int dp = _dp, d = _d;
        for (int rg = 0; rg < BlockRows; rg += RowGroup)
        {
            Vector256<double> q0 = default, q1 = default, q2 = default, q3 = default;
            for (int j0 = 0; j0 < dp; j0 += 4)
            {
                Vector256<double> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector256<double> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector256<double> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector256<double> a30 = default, a31 = default, a32 = default, a33 = default;
                int iEnd = Math.Min(j0 + 4, d);
                double* x = dT + rg;
                double* uu = u + j0;
                for (int i = 0; i < iEnd; i++, x += BlockRows, uu += dp)
                {
                    var x0 = Vector256.Load(x);
                    var x1 = Vector256.Load(x + 4);
                    var x2 = Vector256.Load(x + 8);
                    var x3 = Vector256.Load(x + 12);
                    var u0 = Vector256.Create(uu[0]);
                    var u1 = Vector256.Create(uu[1]);
                    var u2 = Vector256.Create(uu[2]);
                    var u3 = Vector256.Create(uu[3]);
                    a00 = Vector256.FusedMultiplyAdd(x0, u0, a00); a01 = Vector256.FusedMultiplyAdd(x0, u1, a01);
                    a02 = Vector256.FusedMultiplyAdd(x0, u2, a02); a03 = Vector256.FusedMultiplyAdd(x0, u3, a03);
                    a10 = Vector256.FusedMultiplyAdd(x1, u0, a10); a11 = Vector256.FusedMultiplyAdd(x1, u1, a11);
                    a12 = Vector256.FusedMultiplyAdd(x1, u2, a12); a13 = Vector256.FusedMultiplyAdd(x1, u3, a13);
                    a20 = Vector256.FusedMultiplyAdd(x2, u0, a20); a21 = Vector256.FusedMultiplyAdd(x2, u1, a21);
                    a22 = Vector256.FusedMultiplyAdd(x2, u2, a22); a23 = Vector256.FusedMultiplyAdd(x2, u3, a23);
                    a30 = Vector256.FusedMultiplyAdd(x3, u0, a30); a31 = Vector256.FusedMultiplyAdd(x3, u1, a31);
                    a32 = Vector256.FusedMultiplyAdd(x3, u2, a32); a33 = Vector256.FusedMultiplyAdd(x3, u3, a33);
                }
                q0 = SumSquares(q0, a00, a01, a02, a03);
                q1 = SumSquares(q1, a10, a11, a12, a13);
                q2 = SumSquares(q2, a20, a21, a22, a23);
                q3 = SumSquares(q3, a30, a31, a32, a33);
            }
            Vector256.Store(q0, q + rg);
            Vector256.Store(q1, q + rg + 4);
            Vector256.Store(q2, q + rg + 8);
            Vector256.Store(q3, q + rg + 12);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> SumSquares(Vector256<double> q, Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> e)
    {
        q = Vector256.FusedMultiplyAdd(a, a, q);
        q = Vector256.FusedMultiplyAdd(b, b, q);
        q = Vector256.FusedMultiplyAdd(c, c, q);
        return Vector256.FusedMultiplyAdd(e, e, q);
    }

    /// <summary>
    /// q[r] = Σ_i ((xT[i,r] − μ[i])·p[i])², 16 rows per pass so four independent FMA chains hide the latency
    /// (each row's sum keeps its order over i, so the bits do not depend on the grouping).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DiagonalSquaredNorm(double* xT, double* mu, double* p, double* q)
    {
        int d = _d;
        for (int rg = 0; rg < BlockRows; rg += RowGroup)
        {
            Vector256<double> q0 = default, q1 = default, q2 = default, q3 = default;
            double* x = xT + rg;
            for (int i = 0; i < d; i++, x += BlockRows)
            {
                var m = Vector256.Create(mu[i]);
                var pi = Vector256.Create(p[i]);
                var y0 = (Vector256.Load(x) - m) * pi;
                var y1 = (Vector256.Load(x + 4) - m) * pi;
                var y2 = (Vector256.Load(x + 8) - m) * pi;
                var y3 = (Vector256.Load(x + 12) - m) * pi;
                q0 = Vector256.FusedMultiplyAdd(y0, y0, q0);
                q1 = Vector256.FusedMultiplyAdd(y1, y1, q1);
                q2 = Vector256.FusedMultiplyAdd(y2, y2, q2);
                q3 = Vector256.FusedMultiplyAdd(y3, y3, q3);
            }
            Vector256.Store(q0, q + rg);
            Vector256.Store(q1, q + rg + 4);
            Vector256.Store(q2, q + rg + 8);
            Vector256.Store(q3, q + rg + 12);
        }
    }

    /// <summary>
    /// Diagonal moments in one pass: e = x − μ recomputed from xT, v = e·r, S1[i] += v, S2[i] += v·e. Four
    /// dimensions at a time give eight independent accumulator chains; each accumulator still sums rows in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DiagonalMoments(double* xT, double* mu, double* resp, Vector256<double>* s1, Vector256<double>* s2)
    {
        int d = _d, i = 0;
        for (; i + 4 <= d; i += 4)
        {
            var m0 = Vector256.Create(mu[i]);
            var m1 = Vector256.Create(mu[i + 1]);
            var m2 = Vector256.Create(mu[i + 2]);
            var m3 = Vector256.Create(mu[i + 3]);
            Vector256<double> a0 = s1[i], a1 = s1[i + 1], a2 = s1[i + 2], a3 = s1[i + 3];
            Vector256<double> b0 = s2[i], b1 = s2[i + 1], b2 = s2[i + 2], b3 = s2[i + 3];
            double* x = xT + i * BlockRows;
            for (int r = 0; r < BlockRows; r += 4)
            {
                var rr = Vector256.Load(resp + r);
                var e0 = Vector256.Load(x + r) - m0;
                var e1 = Vector256.Load(x + BlockRows + r) - m1;
                var e2 = Vector256.Load(x + 2 * BlockRows + r) - m2;
                var e3 = Vector256.Load(x + 3 * BlockRows + r) - m3;
                var v0 = e0 * rr; var v1 = e1 * rr; var v2 = e2 * rr; var v3 = e3 * rr;
                a0 += v0; a1 += v1; a2 += v2; a3 += v3;
                b0 = Vector256.FusedMultiplyAdd(v0, e0, b0);
                b1 = Vector256.FusedMultiplyAdd(v1, e1, b1);
                b2 = Vector256.FusedMultiplyAdd(v2, e2, b2);
                b3 = Vector256.FusedMultiplyAdd(v3, e3, b3);
            }
            s1[i] = a0; s1[i + 1] = a1; s1[i + 2] = a2; s1[i + 3] = a3;
            s2[i] = b0; s2[i + 1] = b1; s2[i + 2] = b2; s2[i + 3] = b3;
        }
        for (; i < d; i++)
        {
            var m = Vector256.Create(mu[i]);
            Vector256<double> a = s1[i], b = s2[i];
            double* x = xT + i * BlockRows;
            for (int r = 0; r < BlockRows; r += 4)
            {
                var e = Vector256.Load(x + r) - m;
                var v = e * Vector256.Load(resp + r);
                a += v;
                b = Vector256.FusedMultiplyAdd(v, e, b);
            }
            s1[i] = a; s2[i] = b;
        }
    }

    /// <summary>log p(x) = max + log Σ exp(w_k − max) (scipy's logsumexp order); responsibilities exp(w_k − max) / Σ.</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LogSumExp(int count)
    {
        fixed (double* w = _weightedLogProb)
        fixed (double* resp = _resp)
        fixed (double* lse = _lse)
        {
            for (int r = 0; r < BlockRows; r += 4)
            {
                var m = Vector256.Load(w + r);
                for (int k = 1; k < _k; k++) m = Vector256.Max(m, Vector256.Load(w + k * BlockRows + r));
                Vector256<double> s = default;
                for (int k = 0; k < _k; k++)
                {
                    var e = Exp(Vector256.Load(w + k * BlockRows + r) - m);
                    s += e;
                    if (_collect) Vector256.Store(e, resp + k * BlockRows + r);
                }
                Vector256.Store(KernelMath.LogAtLeastOne(s) + m, lse + r);
                if (_collect)
                {
                    // r_k = e^(w_k − m) / s: one division instead of K more exps (within 2 ulp of e^(w_k − log p)).
                    // A row without a finite maximum (s &lt; 1 or NaN) gets zero responsibilities, as before.
                    var valid = Vector256.GreaterThanOrEqual(s, Vector256.Create(1.0));
                    var inverse = Vector256.Create(1.0) / s;
                    for (int k = 0; k < _k; k++)
                        Vector256.Store((Vector256.Load(resp + k * BlockRows + r) * inverse) & valid, resp + k * BlockRows + r);
                }
            }
        }
        // Padding rows contribute nothing.
        for (int r = count; r < BlockRows; r++)
        {
            _lse[r] = 0;
            for (int k = 0; k < _k; k++) _resp[k * BlockRows + r] = 0;
        }
    }

    /// <summary>
    /// exp(x), flushing x &lt; −600 to 0: <see cref="KernelMath.Exp"/> is valid down to −700, and the flush keeps
    /// near-underflow responsibilities from making subnormal moment terms (each a slow microcode assist). What is
    /// flushed is &lt; 3e−261, more than 240 orders of magnitude below one ulp of any responsibility sum
    /// (each N_k ≥ 10·eps). (The slow early iterations once blamed on subnormals were JIT tiering of Vector256.Exp.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Exp(Vector256<double> x)
    {
        var floor = Vector256.Create(-600.0);
        var inRange = Vector256.GreaterThanOrEqual(x, floor);
        return KernelMath.Exp(Vector256.Max(x, floor)) & inRange;
    }

[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Accumulate(int count)
    {
        _rows += count;
        fixed (double* lse = _lse)
        {
            var acc = _llLanes;
            for (int r = 0; r < BlockRows; r += 4) acc += Vector256.Load(lse + r);
            _llLanes = acc;
        }
        if (FullSecondMoments)
        {
            // Deferred to the panel: the block's rows and responsibilities wait in their slot.
            int slot = _panelBlocks * BlockRows;
            for (int i = 0; i < _d; i++) _xT.AsSpan(i * BlockRows, BlockRows).CopyTo(_xPanel.AsSpan(i * PanelRows + slot));
            for (int k = 0; k < _k; k++) _resp.AsSpan(k * BlockRows, BlockRows).CopyTo(_rPanel.AsSpan(k * PanelRows + slot));
            if (++_panelBlocks == PanelBlocks) DrainPanel();
            return;
        }
        for (int k = 0; k < _k; k++)
        {
            fixed (double* xT = _xT)
            fixed (double* mu = &_meansPadded[k * _dp])
            fixed (double* resp = &_resp[k * BlockRows])
            fixed (Vector256<double>* s1 = &_s1Lanes[k * _dp])
            fixed (Vector256<double>* s2 = _s2Lanes)
            {
                var n = _nLanes[k];
                for (int r = 0; r < BlockRows; r += 4) n += Vector256.Load(resp + r);
                _nLanes[k] = n;
                DiagonalMoments(xT, mu, resp, s1, s2 + k * _dp);
            }
        }
    }

    /// <summary>
    /// Full moments of the blocks waiting in the panel. Every accumulator lane still adds its rows in row order (a
    /// panel is its blocks one after another), so the bits are those of accumulating block by block; the d² tile
    /// accumulators, which outgrow L2 for large d·K (K=4, d=118: 1.8 MB), are loaded and stored once per panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DrainPanel()
    {
        int rows = _panelBlocks * BlockRows;
        if (rows == 0) return;
        for (int k = 0; k < _k; k++)
        {
            fixed (double* xP = _xPanel)
            fixed (double* mu = &_meansPadded[k * _dp])
            fixed (double* dP = _dPanel)
            fixed (double* wP = _wPanel)
            fixed (double* resp = &_rPanel[k * PanelRows])
            fixed (Vector256<double>* s1 = &_s1Lanes[k * _dp])
            fixed (double* tiles = _s2Tiles)
            {
                var n = _nLanes[k];
                for (int r = 0; r < rows; r += 4) n += Vector256.Load(resp + r);
                _nLanes[k] = n;
                for (int i = 0; i < _d; i++)
                {
                    var m = Vector256.Create(mu[i]);
                    double* x = xP + i * PanelRows, e = dP + i * PanelRows, w = wP + i * PanelRows;
                    var a = s1[i];
                    for (int r = 0; r < rows; r += 4)
                    {
                        var c = Vector256.Load(x + r) - m;
                        var v = c * Vector256.Load(resp + r);
                        Vector256.Store(c, e + r);
                        Vector256.Store(v, w + r);
                        a += v;
                    }
                    s1[i] = a;
                }
                // Padding dimensions of dP/wP are zero from construction and never written.
                if (_wide) OuterProductUpper512(wP, dP, (Vector512<double>*)(tiles + k * _tiles * 16 * 8), rows);
                else OuterProductUpper(wP, dP, tiles + k * _tiles * 16 * 8, rows);
            }
        }
        _panelBlocks = 0;
    }

    /// <summary>S2[i,j] += Σ_r wT[i,r]·dT[j,r] for 4×4 tiles with j0 ≥ i0 (upper triangle only).</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OuterProductUpper(double* wT, double* dT, double* tileLanes, int rows)
    {
        int t4 = _dp / 4;
        for (int ti = 0; ti < t4; ti++)
        {
            for (int tj = ti; tj < t4; tj++, tileLanes += 16 * 8)
            {
                // Accumulator a lives in lanes 0–3 of its 8-lane slot (the 512-bit path uses all 8).
                var tiles = tileLanes;
                var a00 = L(tiles, 0); var a01 = L(tiles, 1); var a02 = L(tiles, 2); var a03 = L(tiles, 3);
                var a10 = L(tiles, 4); var a11 = L(tiles, 5); var a12 = L(tiles, 6); var a13 = L(tiles, 7);
                var a20 = L(tiles, 8); var a21 = L(tiles, 9); var a22 = L(tiles, 10); var a23 = L(tiles, 11);
                var a30 = L(tiles, 12); var a31 = L(tiles, 13); var a32 = L(tiles, 14); var a33 = L(tiles, 15);
                double* w0 = wT + 4 * ti * PanelRows;
                double* e0 = dT + 4 * tj * PanelRows;
                for (int r = 0; r < rows; r += 4)
                {
                    var w_0 = Vector256.Load(w0 + r);
                    var w_1 = Vector256.Load(w0 + PanelRows + r);
                    var w_2 = Vector256.Load(w0 + 2 * PanelRows + r);
                    var w_3 = Vector256.Load(w0 + 3 * PanelRows + r);
                    var e_0 = Vector256.Load(e0 + r);
                    var e_1 = Vector256.Load(e0 + PanelRows + r);
                    var e_2 = Vector256.Load(e0 + 2 * PanelRows + r);
                    var e_3 = Vector256.Load(e0 + 3 * PanelRows + r);
                    a00 = Vector256.FusedMultiplyAdd(w_0, e_0, a00); a01 = Vector256.FusedMultiplyAdd(w_0, e_1, a01);
                    a02 = Vector256.FusedMultiplyAdd(w_0, e_2, a02); a03 = Vector256.FusedMultiplyAdd(w_0, e_3, a03);
                    a10 = Vector256.FusedMultiplyAdd(w_1, e_0, a10); a11 = Vector256.FusedMultiplyAdd(w_1, e_1, a11);
                    a12 = Vector256.FusedMultiplyAdd(w_1, e_2, a12); a13 = Vector256.FusedMultiplyAdd(w_1, e_3, a13);
                    a20 = Vector256.FusedMultiplyAdd(w_2, e_0, a20); a21 = Vector256.FusedMultiplyAdd(w_2, e_1, a21);
                    a22 = Vector256.FusedMultiplyAdd(w_2, e_2, a22); a23 = Vector256.FusedMultiplyAdd(w_2, e_3, a23);
                    a30 = Vector256.FusedMultiplyAdd(w_3, e_0, a30); a31 = Vector256.FusedMultiplyAdd(w_3, e_1, a31);
                    a32 = Vector256.FusedMultiplyAdd(w_3, e_2, a32); a33 = Vector256.FusedMultiplyAdd(w_3, e_3, a33);
                }
                S(tiles, 0, a00); S(tiles, 1, a01); S(tiles, 2, a02); S(tiles, 3, a03);
                S(tiles, 4, a10); S(tiles, 5, a11); S(tiles, 6, a12); S(tiles, 7, a13);
                S(tiles, 8, a20); S(tiles, 9, a21); S(tiles, 10, a22); S(tiles, 11, a23);
                S(tiles, 12, a30); S(tiles, 13, a31); S(tiles, 14, a32); S(tiles, 15, a33);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> L(double* tiles, int slot) => Vector256.Load(tiles + slot * 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void S(double* tiles, int slot, Vector256<double> v) => Vector256.Store(v, tiles + slot * 8);

    /// <summary>As <see cref="OuterProductUpper"/> with 8 rows per vector.</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OuterProductUpper512(double* wT, double* dT, Vector512<double>* tiles, int rows)
    {
        int t4 = _dp / 4;
        for (int ti = 0; ti < t4; ti++)
        {
            for (int tj = ti; tj < t4; tj++, tiles += 16)
            {
                var a00 = tiles[0]; var a01 = tiles[1]; var a02 = tiles[2]; var a03 = tiles[3];
                var a10 = tiles[4]; var a11 = tiles[5]; var a12 = tiles[6]; var a13 = tiles[7];
                var a20 = tiles[8]; var a21 = tiles[9]; var a22 = tiles[10]; var a23 = tiles[11];
                var a30 = tiles[12]; var a31 = tiles[13]; var a32 = tiles[14]; var a33 = tiles[15];
                double* w0 = wT + 4 * ti * PanelRows;
                double* e0 = dT + 4 * tj * PanelRows;
                for (int r = 0; r < rows; r += 8)
                {
                    var w_0 = Vector512.Load(w0 + r);
                    var w_1 = Vector512.Load(w0 + PanelRows + r);
                    var w_2 = Vector512.Load(w0 + 2 * PanelRows + r);
                    var w_3 = Vector512.Load(w0 + 3 * PanelRows + r);
                    var e_0 = Vector512.Load(e0 + r);
                    var e_1 = Vector512.Load(e0 + PanelRows + r);
                    var e_2 = Vector512.Load(e0 + 2 * PanelRows + r);
                    var e_3 = Vector512.Load(e0 + 3 * PanelRows + r);
                    a00 = Vector512.FusedMultiplyAdd(w_0, e_0, a00); a01 = Vector512.FusedMultiplyAdd(w_0, e_1, a01);
                    a02 = Vector512.FusedMultiplyAdd(w_0, e_2, a02); a03 = Vector512.FusedMultiplyAdd(w_0, e_3, a03);
                    a10 = Vector512.FusedMultiplyAdd(w_1, e_0, a10); a11 = Vector512.FusedMultiplyAdd(w_1, e_1, a11);
                    a12 = Vector512.FusedMultiplyAdd(w_1, e_2, a12); a13 = Vector512.FusedMultiplyAdd(w_1, e_3, a13);
                    a20 = Vector512.FusedMultiplyAdd(w_2, e_0, a20); a21 = Vector512.FusedMultiplyAdd(w_2, e_1, a21);
                    a22 = Vector512.FusedMultiplyAdd(w_2, e_2, a22); a23 = Vector512.FusedMultiplyAdd(w_2, e_3, a23);
                    a30 = Vector512.FusedMultiplyAdd(w_3, e_0, a30); a31 = Vector512.FusedMultiplyAdd(w_3, e_1, a31);
                    a32 = Vector512.FusedMultiplyAdd(w_3, e_2, a32); a33 = Vector512.FusedMultiplyAdd(w_3, e_3, a33);
                }
                tiles[0] = a00; tiles[1] = a01; tiles[2] = a02; tiles[3] = a03;
                tiles[4] = a10; tiles[5] = a11; tiles[6] = a12; tiles[7] = a13;
                tiles[8] = a20; tiles[9] = a21; tiles[10] = a22; tiles[11] = a23;
                tiles[12] = a30; tiles[13] = a31; tiles[14] = a32; tiles[15] = a33;
            }
        }
    }

    /// <summary>As <see cref="TriangularSquaredNorm"/> with 32 rows (4 × Vector512) × 4 columns per register tile.</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TriangularSquaredNorm512(double* dT, double* u, double* q)
    {
        int dp = _dp, d = _d;
        for (int rg = 0; rg < BlockRows; rg += 32)
        {
            Vector512<double> q0 = default, q1 = default, q2 = default, q3 = default;
            for (int j0 = 0; j0 < dp; j0 += 4)
            {
                Vector512<double> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<double> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<double> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<double> a30 = default, a31 = default, a32 = default, a33 = default;
                int iEnd = Math.Min(j0 + 4, d);
                double* x = dT + rg;
                double* uu = u + j0;
                for (int i = 0; i < iEnd; i++, x += BlockRows, uu += dp)
                {
                    var x0 = Vector512.Load(x);
                    var x1 = Vector512.Load(x + 8);
                    var x2 = Vector512.Load(x + 16);
                    var x3 = Vector512.Load(x + 24);
                    var u0 = Vector512.Create(uu[0]);
                    var u1 = Vector512.Create(uu[1]);
                    var u2 = Vector512.Create(uu[2]);
                    var u3 = Vector512.Create(uu[3]);
                    a00 = Vector512.FusedMultiplyAdd(x0, u0, a00); a01 = Vector512.FusedMultiplyAdd(x0, u1, a01);
                    a02 = Vector512.FusedMultiplyAdd(x0, u2, a02); a03 = Vector512.FusedMultiplyAdd(x0, u3, a03);
                    a10 = Vector512.FusedMultiplyAdd(x1, u0, a10); a11 = Vector512.FusedMultiplyAdd(x1, u1, a11);
                    a12 = Vector512.FusedMultiplyAdd(x1, u2, a12); a13 = Vector512.FusedMultiplyAdd(x1, u3, a13);
                    a20 = Vector512.FusedMultiplyAdd(x2, u0, a20); a21 = Vector512.FusedMultiplyAdd(x2, u1, a21);
                    a22 = Vector512.FusedMultiplyAdd(x2, u2, a22); a23 = Vector512.FusedMultiplyAdd(x2, u3, a23);
                    a30 = Vector512.FusedMultiplyAdd(x3, u0, a30); a31 = Vector512.FusedMultiplyAdd(x3, u1, a31);
                    a32 = Vector512.FusedMultiplyAdd(x3, u2, a32); a33 = Vector512.FusedMultiplyAdd(x3, u3, a33);
                }
                q0 = SumSquares(q0, a00, a01, a02, a03);
                q1 = SumSquares(q1, a10, a11, a12, a13);
                q2 = SumSquares(q2, a20, a21, a22, a23);
                q3 = SumSquares(q3, a30, a31, a32, a33);
            }
            Vector512.Store(q0, q + rg);
            Vector512.Store(q1, q + rg + 8);
            Vector512.Store(q2, q + rg + 16);
            Vector512.Store(q3, q + rg + 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> SumSquares(Vector512<double> q, Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> e)
    {
        q = Vector512.FusedMultiplyAdd(a, a, q);
        q = Vector512.FusedMultiplyAdd(b, b, q);
        q = Vector512.FusedMultiplyAdd(c, c, q);
        return Vector512.FusedMultiplyAdd(e, e, q);
    }

    /// <summary>Folds the lane accumulators (fixed order) into a statistics value and resets them.</summary>
    public SufficientStatistics Flush(CovarianceType targetType)
    {
        DrainPanel();
        int k = _k, d = _d;
        var shift = new double[k][];
        var n = new double[k];
        var s1 = new double[k][];
        var s2 = new double[k][];
        for (int c = 0; c < k; c++)
        {
            shift[c] = (double[])_shift[c].Clone();
            n[c] = Fold(_nLanes[c]);
            s1[c] = new double[d];
            for (int i = 0; i < d; i++) s1[c][i] = Fold(_s1Lanes[c * _dp + i]);
            if (FullSecondMoments)
            {
                var m = new double[d * d];
                int t4 = _dp / 4, tile = 0;
                for (int ti = 0; ti < t4; ti++)
                    for (int tj = ti; tj < t4; tj++, tile++)
                        for (int a = 0; a < 4; a++)
                            for (int b = 0; b < 4; b++)
                            {
                                int i = 4 * ti + a, j = 4 * tj + b;
                                if (i >= d || j >= d || j < i) continue;
                                double v = Fold8(_s2Tiles.AsSpan(((c * _tiles + tile) * 16 + a * 4 + b) * 8, 8));
                                m[i * d + j] = v;
                                m[j * d + i] = v;
                            }
                s2[c] = m;
            }
            else
            {
                s2[c] = new double[d];
                for (int i = 0; i < d; i++) s2[c][i] = Fold(_s2Lanes[c * _dp + i]);
            }
        }
        var stats = new SufficientStatistics(targetType, FullSecondMoments, _rows, Fold(_llLanes), shift, n, s1, s2);
        Array.Clear(_nLanes);
        Array.Clear(_s1Lanes);
        Array.Clear(_s2Lanes);
        Array.Clear(_s2Tiles);
        _llLanes = default;
        _rows = 0;
        return stats;
    }

    /// <summary>Fixed-order fold of an 8-lane slot: ((0+1)+(2+3)) + ((4+5)+(6+7)).</summary>
    private static double Fold8(ReadOnlySpan<double> v) => ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Fold(Vector256<double> v) => (v.GetElement(0) + v.GetElement(1)) + (v.GetElement(2) + v.GetElement(3));
}
