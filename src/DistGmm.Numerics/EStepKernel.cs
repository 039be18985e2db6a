using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistGmm.Numerics;

/// <summary>
/// The fused E-step: for a block of <see cref="BlockRows"/> rows, weighted log-probabilities, log-sum-exp,
/// responsibilities and (optionally) the centred sufficient statistics, all in cache-resident scratch.
/// Rows are transposed into the lanes (dimension-major), so the Mahalanobis term ‖(x−μ)·U‖² is a register-blocked
/// triangular product and the outer-product accumulation a blocked (d×rows)(rows×d) product over the upper triangle.
/// <para>
/// One kernel per vector width (<see cref="KernelPath"/>: 512, 256 or 128 bits), each tiled for its register file,
/// all giving the same bits. Per-row values (log-probabilities, exp/log, responsibilities) are lane-wise, so the width
/// cannot change them. The sums over rows use a fixed logical lane layout whatever the width: Σ log p, N, S1 and the
/// diagonal S2 have 4 lanes (lane = row mod 4), the full S2 8 lanes (lane = row mod 8); a narrower path keeps a logical
/// lane group in several registers, and every lane adds its rows in row order. Lanes are folded once per chunk in a
/// fixed order, so results depend on the block/chunk boundaries only, never on threads or the processor.
/// </para>
/// One instance per thread; nothing is allocated per row or per block.
/// </summary>
internal sealed unsafe class EStepKernel
{
    public const int BlockRows = 64;
    // Other kernels (diagonal, statistics-only) prefetch rows 1.5 blocks ahead into L2 (prefetcht1) from the
    // transposition: the block's work in between lets the lines arrive and L2 keeps them through it (L1 would not).
    // 32 rows into L1 had left the transposition waiting on memory (KDD diag K=4, 2 threads: 0.0207–0.0236 →
    // 0.0161–0.0167 s per iteration).
    private const int PrefetchRows = 96;
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    private readonly GaussianMixture? _model;
    private readonly double[][] _shift;             // statistics are centred on these (the model's means)
    private readonly int _k, _d, _dp;               // dp: d rounded up to a multiple of 4 (zero-padded)
    private readonly bool _triangular;
    private readonly double[][] _precision;          // per component: U (512-bit: padded dp×dp; narrower: ColumnBlocks) or diagonal padded dp
    private readonly double[] _meansPadded;         // K × dp
    private readonly AlignedDoubles _xT;            // dp × BlockRows (unless full moments are collected: see XBlock)
    private readonly double[] _weightedLogProb;     // K × BlockRows
    private readonly double[] _resp;                // K × BlockRows
    private readonly double[] _lse;                 // BlockRows
    private readonly double[] _best, _bound;        // BlockRows: running max of the weighted log-probabilities; pruning bound on ‖y‖²
    private readonly int[] _order, _argMaxCounts;   // K: the order the next block computes the components in; this block's argmax counts
    private readonly bool _prune;
    private long _triangularWork, _triangularWorkDone, _reportedWork, _reportedWorkDone;

    // Statistics lane accumulators (folded at Flush): 4 logical lanes per value, the full S2 8.
    private readonly bool _collect;
    private readonly int _tiles;                    // upper-triangular 4×4 tiles of the dp×dp second moment
    private readonly double[] _nLanes;              // K × 4
    private readonly double[] _s1Lanes;             // K × dp × 4
    private readonly double[] _s2Lanes;             // K × dp × 4 (diagonal only)
    private readonly AlignedDoubles _s2Tiles;       // K × tiles × 16 accumulators × 8 lanes (full)
    private readonly double[] _llLanes = new double[4];

    // Full moments are accumulated per panel of PanelBlocks blocks (see DrainPanel).
    // 4 blocks: moment accumulation (cpu − scoring, 1 thread, d=118 K=4) 0.585 → 0.53 s per iteration; 8 was no better.
    private const int PanelBlocks = 4;
    private const int PanelRows = PanelBlocks * BlockRows;
    // Doubles from one dimension to the next in a panel array: one cache line more than a row's worth, so that the
    // dimensions of a tile (2 KB apart otherwise) do not all fall into the same few sets of the 8-way L1.
    private const int PanelStride = PanelRows + 8;
    private readonly AlignedDoubles _xPanel, _dPanel, _wPanel;   // dp × PanelStride: x, x − μ_k (narrow paths only), (x − μ_k)·r_k (the last two in lane order, see PanelSlot)
    private readonly AlignedDoubles _rPanel;               // K × PanelRows responsibilities
    private readonly AlignedDoubles _packedE, _packedW;    // dp × PanelStride: packed lanes (512- and 256-bit, see PackLanes; 512-bit packs x, 256-bit x − μ), or empty
    // The panel's rows as they came (row-major, d apart), then a zero row and 8 zeros: the packed transposes read dp
    // values from a row's start, past d into the next row's (finite, landing in padding dimensions no one reads).
    private readonly double[] _rowPanel;
    private int _panelBlocks;

    /// <summary>
    /// Where the block's transposed rows (dimension-major) are written and read: straight into their panel slot when full
    /// moments are collected (the panel needs them there; copying them from xT cost ~3 % of a K=2 d=39 pass), else xT.
    /// </summary>
    private (AlignedDoubles Array, int Offset, int Stride) XBlock =>
        _xPanel.Length > 0 ? (_xPanel, _panelBlocks * BlockRows, PanelStride) : (_xT, 0, BlockRows);

    /// <summary>Vector width of this kernel's d² loops: 512, 256 or 128.</summary>
    private readonly int _bits;

    // Triangular kernels prefetch the block after next into L2 a few lines at a time from inside the triangular
    // product (PrefetchStep), spread over the block's d² work: issued in a burst from the transposition, the prefetches
    // themselves stalled on full line-fill buffers (a third of the transposition's perf samples). K=2 d=39 full,
    // 512-bit, 2 threads: 0.0545–0.0564 (32 rows ahead into L1) → 0.0509–0.0524 (96 rows ahead into L2, from the
    // transposition) → 0.0503–0.0515 s per iteration. The addresses are kept as numbers, outside any `fixed`: a
    // prefetch is a hint that never faults, so one to a moved or ended array only misses.
    private readonly bool _spreadPrefetch;
    private readonly int _prefetchLinesPerStep;
    private nint _prefetchNext, _prefetchEnd;
    private long _rows;
    private long _momentGroups, _momentGroupsSkipped, _reportedGroups, _reportedSkipped, _packedAccumulations;

    /// <summary>Whether all-zero responsibility groups skip the moment accumulation (<see cref="ActiveRuns"/>); off only in tests, to compare bits.</summary>
    internal bool SkipZeroResponsibilityGroups { get; init; } = true;

    /// <summary>
    /// Since construction: 8-row groups × components that reached the moment accumulation, the vectors of work skipped
    /// (all-zero groups, or saved by packing lanes), and the panel × component accumulations that packed lanes.
    /// </summary>
    internal (long Groups, long Skipped, long Packed) MomentGroups => (_momentGroups, _momentGroupsSkipped, _packedAccumulations);

    /// <summary>
    /// Whether a component's triangular product stops for a group of rows once all of them are certain to end more than
    /// <see cref="PruneMargin"/> nats below their best component so far (<see cref="WeightedLogProbabilities"/>); off
    /// only in tests, to compare bits, and for one-row responsibilities (which report the tiny values exactly).
    /// </summary>
    internal bool PruneFarComponents { get => _prune && _pruneFar; init => _pruneFar = value; }
    private readonly bool _pruneFar = true;

    /// <summary>Since construction: triangular-product work (column blocks weighted by their rows) to do, and done.</summary>
    internal (long Total, long Done) TriangularWork => (_triangularWork, _triangularWorkDone);

    /// <summary>A scoring/E-step kernel on the start-up path, or (tests, benchmarks) a narrower one: 512, 256 or 128 bits.</summary>
    public EStepKernel(GaussianMixture model, bool collectStatistics, bool fullSecondMoments, int? vectorBits = null)
        : this(model, model.Means, collectStatistics, fullSecondMoments, vectorBits) { }

    /// <summary>A statistics-only kernel: responsibilities come from the caller (hard or random assignments).</summary>
    public EStepKernel(double[][] shift, bool fullSecondMoments, int? vectorBits = null)
        : this(null, shift, true, fullSecondMoments, vectorBits) { }

    private EStepKernel(GaussianMixture? model, double[][] shift, bool collectStatistics, bool fullSecondMoments, int? vectorBits)
    {
        _bits = vectorBits ?? KernelPath.VectorBits;
        if (_bits is not (128 or 256 or 512)) throw new ArgumentOutOfRangeException(nameof(vectorBits), _bits, "Vector width must be 128, 256 or 512 bits.");
        if (_bits > KernelPath.VectorBits)
            throw new PlatformNotSupportedException($"{_bits}-bit vectors are not hardware accelerated here (widest: {KernelPath.VectorBits}).");
        _model = model;
        _shift = shift;
        _k = shift.Length;
        _d = shift[0].Length;
        _dp = (_d + 3) & ~3;
        _triangular = model?.IsTriangular ?? false;
        _precision = new double[_k][];
        _meansPadded = new double[_k * _dp];
        for (int k = 0; k < _k; k++)
        {
            shift[k].CopyTo(_meansPadded.AsSpan(k * _dp, _d));
            if (model is null) continue;
            var pc = model.PrecisionsCholesky[model.CovarianceType == CovarianceType.Tied ? 0 : k];
            if (_triangular)
            {
                _precision[k] = _bits == 512 ? PaddedUpper(pc, _d, _dp) : ColumnBlocks(pc, _d, _dp);
            }
            else
            {
                var p = new double[_dp];
                for (int i = 0; i < _d; i++) p[i] = model.CovarianceType == CovarianceType.Spherical ? pc[0] : pc[i];
                _precision[k] = p;
            }
        }
        _spreadPrefetch = _triangular && Sse.IsSupported;
        // PrefetchStep calls per block: components × row groups of the triangular tile × column blocks.
        int steps = _k * (_bits == 512 ? BlockRows / 32 : NarrowTriangularPasses(_bits)) * (_dp / 4);
        _prefetchLinesPerStep = (BlockRows * _d * sizeof(double) / 64 + steps - 1) / steps;
        if (collectStatistics && fullSecondMoments)
        {
            _xPanel = new AlignedDoubles(_dp * PanelStride);
            if (_bits < 512) _dPanel = new AlignedDoubles(_dp * PanelStride);
            _wPanel = new AlignedDoubles(_dp * PanelStride);
            _rPanel = new AlignedDoubles(_k * PanelRows);
            if (_bits >= 256)
            {
                _packedE = new AlignedDoubles(_dp * PanelStride);
                _packedW = new AlignedDoubles(_dp * PanelStride);
            }
            _rowPanel = _bits >= 256 ? new double[(PanelRows + 1) * _d + 8] : [];
        }
        else
        {
            _xT = new AlignedDoubles(_dp * BlockRows);
            _rowPanel = [];
        }
        _weightedLogProb = new double[_k * BlockRows];
        _resp = new double[_k * BlockRows];
        _lse = new double[BlockRows];
        // Pruning needs a triangular product to stop early.
        _prune = _triangular && _k > 1;
        _best = _prune ? new double[BlockRows] : [];
        _bound = _prune ? new double[BlockRows] : [];
        _order = [.. Enumerable.Range(0, _k)];
        _argMaxCounts = new int[_k];

        _collect = collectStatistics;
        FullSecondMoments = fullSecondMoments;
        int t4 = _dp / 4;
        _tiles = t4 * (t4 + 1) / 2;
        _nLanes = new double[_k * 4];
        _s1Lanes = new double[collectStatistics ? _k * _dp * 4 : 0];
        _s2Lanes = new double[collectStatistics && !fullSecondMoments ? _k * _dp * 4 : 0];
        _s2Tiles = new AlignedDoubles(collectStatistics && fullSecondMoments ? _k * _tiles * 16 * 8 : 0);
    }

    /// <summary>The upper-triangular U (d×d row-major) zero-padded to dp×dp.</summary>
    private static double[] PaddedUpper(double[] pc, int d, int dp)
    {
        var u = new double[dp * dp];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) u[i * dp + j] = pc[i * d + j];
        return u;
    }

    /// <summary>
    /// U for the narrow triangular product, by blocks of 4 columns: block b holds rows 0 … 4b+3 of columns 4b … 4b+3,
    /// 4 doubles per row (zero below the diagonal and past d), one block after another (<see cref="ColumnBlockOffset"/>).
    /// The product reads each block front to back, every cache line whole; in dp×dp rows it used half a line per row and
    /// strided through U, which outgrows L1 (d=118: 115 KB, 60 KB as blocks).
    /// </summary>
    private static double[] ColumnBlocks(double[] pc, int d, int dp)
    {
        var u = new double[ColumnBlockOffset(dp)];
        for (int j0 = 0; j0 < dp; j0 += 4)
            for (int i = 0; i < j0 + 4; i++)
                for (int c = 0; c < 4; c++)
                {
                    int j = j0 + c;
                    if (i <= j && j < d) u[ColumnBlockOffset(j0) + 4 * i + c] = pc[i * d + j];
                }
        return u;
    }

    /// <summary>Where the column block starting at column j0 begins in <see cref="ColumnBlocks"/>: Σ_{b &lt; j0/4} 4·(4b + 4).</summary>
    private static int ColumnBlockOffset(int j0) => 2 * j0 * (j0 / 4 + 1);

    public bool FullSecondMoments { get; }

    /// <summary>The vector width this kernel runs (512, 256 or 128 bits).</summary>
    public int VectorBits => _bits;

    /// <summary>Caller-filled responsibilities for <see cref="AccumulateAssigned"/> (K × BlockRows).</summary>
    public double[] AssignmentScratch => _assignment ??= new double[_k * BlockRows];

    private double[]? _assignment;

    /// <summary>Per-row log-likelihood of the last processed block.</summary>
    public ReadOnlySpan<double> LogLikelihood(int count) => _lse.AsSpan(0, count);

    /// <summary>Row <paramref name="row"/>'s responsibilities (posterior of each component) in the last processed block.</summary>
    public void Responsibilities(int row, Span<double> responsibilities)
    {
        for (int k = 0; k < _k; k++) responsibilities[k] = Math.Exp(_weightedLogProb[k * BlockRows + row] - _lse[row]);
    }

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
    public void ProcessBlock(ReadOnlySpan<double> rows, int count)
    {
        if (_model is null) throw new InvalidOperationException("This kernel has no model; use AccumulateAssigned.");
        Transpose(rows, count);
        if (_bits == 512) WeightedLogProbabilities<Simd512, Vector512<double>>(_model);
        else if (_bits == 256) WeightedLogProbabilities<Simd256, Vector256<double>>(_model);
        else WeightedLogProbabilities<Simd128, Vector128<double>>(_model);
        if (_bits == 512) LogSumExp<Simd512, Vector512<double>>(count);
        else if (_bits == 256) LogSumExp<Simd256, Vector256<double>>(count);
        else LogSumExp<Simd128, Vector128<double>>(count);
        if (_collect) Accumulate(count);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightedLogProbabilities<T, TV>(GaussianMixture model) where T : ISimd<TV> where TV : struct
    {
        double dLog2Pi = _d * Log2Pi;
        var (xArray, xOffset, xStride) = XBlock;
        bool prune = PruneFarComponents;
        if (prune) Array.Fill(_best, double.NegativeInfinity);
        for (int i = 0; i < _k; i++)
        {
            int k = prune ? _order[i] : i;
            // Every path centres as it loads (x − μ is recomputed, never stored): for the triangular products the
            // subtractions ride Zen 4's separate add pipes instead of a store pass. 1 thread, fastest of 7 iterations:
            // 512-bit K=8 d=39 0.223–0.243 → 0.200–0.220 s, kdd-wide K=4 0.894–0.901 → 0.869–0.873 s, and with the
            // per-component panels of x − μ_k that the moments had reused at small K·d retired, K=2 0.0772–0.0785 →
            // 0.0728–0.0740 s, K=4 0.1286–0.1303 → 0.1175–0.1212 s; 256-bit K=2 0.0805–0.0811 → 0.0783–0.0793 s, K=8
            // 0.2458–0.2473 → 0.2347–0.2349 s; 128-bit unchanged. Unmeasured on Intel, whose FMA and add share ports.
            fixed (double* xBase = xArray)
            fixed (double* mu = &_meansPadded[k * _dp])
            fixed (double* prec = _precision[k])
            fixed (double* q = &_weightedLogProb[k * BlockRows])
            fixed (double* best = _best)
            fixed (double* bound = _bound)
            {
                if (!_triangular) DiagonalSquaredNorm<T, TV>(xBase + xOffset, xStride, mu, prec, q);
                else
                {
                    // Pruning: w_k = −½(d·log 2π + ‖y‖²) + c_k falls more than PruneMargin below the best w so far once
                    // ‖y‖² > 2(c_k − best + PruneMargin) − d·log 2π; partial sums of squares only grow, so a group whose
                    // rows all pass the bound mid-product is done (its ‖y‖² is stored as +∞, w_k as −∞).
                    double* rowBound = null;
                    if (prune && i > 0)
                    {
                        var c = T.Create(model.LogDetPrecisionCholesky[k] + model.LogWeights[k] + PruneMargin);
                        var two = T.Create(2.0);
                        var vLog2PiB = T.Create(dLog2Pi);
                        for (int r = 0; r < BlockRows; r += T.Count)
                            T.Store(T.Sub(T.Mul(two, T.Sub(c, T.Load(best + r))), vLog2PiB), bound + r);
                        rowBound = bound;
                    }
                    if (_bits == 512) TriangularSquaredNorm512(xBase + xOffset, xStride, prec, mu, q, rowBound);
                    else TriangularSquaredNormNarrow<T, TV>(xBase + xOffset, xStride, prec, mu, q, rowBound);
                }
                // scikit-learn: −½(d·log 2π + ‖y‖²) + log det, then + log w.
                var vLog2Pi = T.Create(dLog2Pi);
                var vLogDet = T.Create(model.LogDetPrecisionCholesky[k]);
                var vLogW = T.Create(model.LogWeights[k]);
                var half = T.Create(-0.5);
                for (int r = 0; r < BlockRows; r += T.Count)
                {
                    var wk = T.Add(T.Add(T.Mul(half, T.Add(vLog2Pi, T.Load(q + r))), vLogDet), vLogW);
                    T.Store(wk, q + r);
                    if (prune) T.Store(T.Max(T.Load(best + r), wk), best + r);
                }
            }
        }
        if (!prune) return;
        OrderComponentsForNextBlock();
        PrefetchStep(int.MaxValue);   // early exits skipped prefetch steps: the rest of the block after next goes now
    }

    /// <summary>
    /// How far below a row's best component a pruned component is, at least: its e^(w_k − max) is then below e^−700,
    /// which <see cref="Exp"/> flushes to exactly 0 (below −600) as it would have for the finished product — so pruning
    /// changes no bit of the log-likelihoods, responsibilities or statistics (100 nats spare for rounding).
    /// </summary>
    private const double PruneMargin = 700;

    /// <summary>
    /// The next block computes first the components most of this block's rows were closest to (rows come in runs), so
    /// the others meet a high best-so-far and prune early. Only speed depends on the order, never a bit.
    /// </summary>
    private void OrderComponentsForNextBlock()
    {
        Array.Clear(_argMaxCounts);
        if (_bits == 512) CountNearest512();
        else
            for (int r = 0; r < BlockRows; r++)
            {
                double b = _best[r];
                for (int i = 0; i < _k; i++)
                    if (_weightedLogProb[_order[i] * BlockRows + r] == b) { _argMaxCounts[_order[i]]++; break; }
            }
        for (int i = 0; i < _k; i++) _order[i] = i;
        // Insertion sort by count, descending; ties keep the lower index first (K is small).
        for (int i = 1; i < _k; i++)
        {
            int c = _order[i], j = i - 1;
            for (; j >= 0 && _argMaxCounts[_order[j]] < _argMaxCounts[c]; j--) _order[j + 1] = _order[j];
            _order[j + 1] = c;
        }
    }

    /// <summary>
    /// The counts of the scalar loop (each row's first component, in the current order, at its best), 8 rows per
    /// compare: the scalar loop took ~2 % of a K=2 iteration on the 512-bit path.
    /// </summary>
    private void CountNearest512()
    {
        fixed (double* w = _weightedLogProb)
        fixed (double* best = _best)
            for (int r = 0; r < BlockRows; r += 8)
            {
                var b = Vector512.Load(best + r);
                ulong found = 0;
                for (int i = 0; i < _k && found != 0xFF; i++)
                {
                    int k = _order[i];
                    ulong at = Vector512.Equals(Vector512.Load(w + k * BlockRows + r), b).ExtractMostSignificantBits() & ~found;
                    _argMaxCounts[k] += BitOperations.PopCount(at);
                    found |= at;
                }
            }
    }

    /// <summary>
    /// Accumulates statistics for up to <see cref="BlockRows"/> rows with given responsibilities
    /// (component-major: resp[k * BlockRows + r]); the log-likelihood is not defined here and stays 0.
    /// </summary>
    public void AccumulateAssigned(ReadOnlySpan<double> rows, int count, ReadOnlySpan<double> responsibilities)
    {
        Transpose(rows, count);
        responsibilities.Slice(0, _k * BlockRows).CopyTo(_resp);
        for (int r = count; r < BlockRows; r++)
            for (int k = 0; k < _k; k++) _resp[k * BlockRows + r] = 0;
        Array.Clear(_lse);
        Accumulate(count);
    }

    /// <summary>Rows (row-major) into <see cref="XBlock"/> (dimension-major, BlockRows lanes); padding rows/dimensions stay zero.</summary>
    /// <summary>A 4×4 transpose of doubles in registers: result j holds element j of a, b, c and e, in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<double>, Vector256<double>, Vector256<double>, Vector256<double>) Transpose4x4(
        Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> e)
    {
        var ab0 = Avx.UnpackLow(a, b);   // a0 b0 a2 b2
        var ab1 = Avx.UnpackHigh(a, b);  // a1 b1 a3 b3
        var ce0 = Avx.UnpackLow(c, e);
        var ce1 = Avx.UnpackHigh(c, e);
        return (Avx.Permute2x128(ab0, ce0, 0x20), Avx.Permute2x128(ab1, ce1, 0x20),
            Avx.Permute2x128(ab0, ce0, 0x31), Avx.Permute2x128(ab1, ce1, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Transpose(ReadOnlySpan<double> rows, int count)
    {
        int d = _d;
        var (xArray, xOffset, stride) = XBlock;
        fixed (double* src = rows)
        fixed (double* xBase = xArray)
        {
            double* xT = xBase + xOffset;
            if (_spreadPrefetch)
            {
                _prefetchNext = (nint)(src + 2 * BlockRows * d);
                _prefetchEnd = (nint)(src + 3 * BlockRows * d);
            }
            int r = 0;
            if (_bits == 512) r = Transpose8Rows512(src, xT, stride, count);
            if (Avx2.IsSupported)
            {
                int d4 = d & ~3;
                int groupBytes = 4 * d * sizeof(double);
                for (; r + 4 <= count; r += 4)
                {
                    double* s0 = src + r * d;
                    // Software prefetch (see PrefetchRows): the shuffle-heavy loop keeps too few loads in flight for
                    // the hardware prefetcher. A prefetch past the end of the matrix is harmless (it never faults).
                    if (!_spreadPrefetch)
                    {
                        byte* ahead = (byte*)(s0 + PrefetchRows * d);
                        for (int b = 0; b < groupBytes; b += 64) Sse.Prefetch1(ahead + b);
                    }
                    int i = 0;
                    for (; i < d4; i += 4)
                    {
                        // Rows r..r+3, dimensions i..i+3.
                        var (c0, c1, c2, c3) = Transpose4x4(Avx.LoadVector256(s0 + i), Avx.LoadVector256(s0 + d + i),
                            Avx.LoadVector256(s0 + 2 * d + i), Avx.LoadVector256(s0 + 3 * d + i));
                        double* dst = xT + i * stride + r;
                        Avx.Store(dst, c0);
                        Avx.Store(dst + stride, c1);
                        Avx.Store(dst + 2 * stride, c2);
                        Avx.Store(dst + 3 * stride, c3);
                    }
                    for (; i < d; i++)
                    {
                        double* dst = xT + i * stride + r;
                        dst[0] = s0[i]; dst[1] = s0[d + i]; dst[2] = s0[2 * d + i]; dst[3] = s0[3 * d + i];
                    }
                }
            }
            for (; r < count; r++)
                for (int i = 0; i < d; i++) xT[i * stride + r] = src[r * d + i];
            if (count < BlockRows)
                for (int i = 0; i < d; i++) new Span<double>(xT + i * stride + count, BlockRows - count).Clear();
            // Padding dimensions are zero from construction and never written.
        }
        // The row-major copy the packed outer product reads (rows past count keep stale values: their responsibilities are 0).
        if (_rowPanel.Length > 0) rows.Slice(0, count * d).CopyTo(_rowPanel.AsSpan(_panelBlocks * BlockRows * d));
    }

    /// <summary>
    /// An 8×8 transpose of doubles in registers: unpack pairs, then 128-bit lanes twice (0x88 takes lanes 0 and 2 of each
    /// operand, 0xDD lanes 1 and 3); c_j holds element j of v0 … v7, in that order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector512<double> v0, Vector512<double> v1, Vector512<double> v2, Vector512<double> v3,
        Vector512<double> v4, Vector512<double> v5, Vector512<double> v6, Vector512<double> v7,
        out Vector512<double> c0, out Vector512<double> c1, out Vector512<double> c2, out Vector512<double> c3,
        out Vector512<double> c4, out Vector512<double> c5, out Vector512<double> c6, out Vector512<double> c7)
    {
        var t0 = Avx512F.UnpackLow(v0, v1);    // elements 0, 2, 4, 6 of v0 and v1, interleaved
        var t1 = Avx512F.UnpackHigh(v0, v1);   // elements 1, 3, 5, 7
        var t2 = Avx512F.UnpackLow(v2, v3);
        var t3 = Avx512F.UnpackHigh(v2, v3);
        var t4 = Avx512F.UnpackLow(v4, v5);
        var t5 = Avx512F.UnpackHigh(v4, v5);
        var t6 = Avx512F.UnpackLow(v6, v7);
        var t7 = Avx512F.UnpackHigh(v6, v7);
        var u0 = Avx512F.Shuffle4x128(t0, t2, 0x88);   // v0–v3: elements 0, 4
        var u1 = Avx512F.Shuffle4x128(t0, t2, 0xDD);   // elements 2, 6
        var u2 = Avx512F.Shuffle4x128(t1, t3, 0x88);   // elements 1, 5
        var u3 = Avx512F.Shuffle4x128(t1, t3, 0xDD);   // elements 3, 7
        var u4 = Avx512F.Shuffle4x128(t4, t6, 0x88);   // v4–v7
        var u5 = Avx512F.Shuffle4x128(t4, t6, 0xDD);
        var u6 = Avx512F.Shuffle4x128(t5, t7, 0x88);
        var u7 = Avx512F.Shuffle4x128(t5, t7, 0xDD);
        c0 = Avx512F.Shuffle4x128(u0, u4, 0x88);
        c1 = Avx512F.Shuffle4x128(u2, u6, 0x88);
        c2 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        c3 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        c4 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        c5 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        c6 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        c7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
    }

    /// <summary>
    /// The 512-bit path's transposition, 8 rows at a time: 8×8 tiles through three shuffle stages (0.375 shuffles per
    /// value, the 4×4 tiles take 0.5, and half the loads and stores); the last d mod 8 dimensions as two 4×4 tiles and
    /// single values. Returns the rows done (count rounded down to 8). Data movement only: no bit changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Transpose8Rows512(double* src, double* xT, int stride, int count)
    {
        int d = _d, d8 = d & ~7, d4 = d & ~3, r = 0;
        int groupBytes = 8 * d * sizeof(double);
        for (; r + 8 <= count; r += 8)
        {
            double* s0 = src + r * d;
            if (!_spreadPrefetch)
            {
                byte* ahead = (byte*)(s0 + PrefetchRows * d);
                for (int b = 0; b < groupBytes; b += 64) Sse.Prefetch1(ahead + b);
            }
            int i = 0;
            for (; i < d8; i += 8)
            {
                double* p = s0 + i;
                Transpose8x8(Vector512.Load(p), Vector512.Load(p + d), Vector512.Load(p + 2 * d), Vector512.Load(p + 3 * d),
                    Vector512.Load(p + 4 * d), Vector512.Load(p + 5 * d), Vector512.Load(p + 6 * d), Vector512.Load(p + 7 * d),
                    out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                double* dst = xT + i * stride + r;
                Vector512.Store(c0, dst);
                Vector512.Store(c1, dst + stride);
                Vector512.Store(c2, dst + 2 * stride);
                Vector512.Store(c3, dst + 3 * stride);
                Vector512.Store(c4, dst + 4 * stride);
                Vector512.Store(c5, dst + 5 * stride);
                Vector512.Store(c6, dst + 6 * stride);
                Vector512.Store(c7, dst + 7 * stride);
            }
            for (; i < d4; i += 4)
                for (int h = 0; h < 8; h += 4)
                {
                    double* p = s0 + h * d + i;
                    var (c0, c1, c2, c3) = Transpose4x4(Avx.LoadVector256(p), Avx.LoadVector256(p + d),
                        Avx.LoadVector256(p + 2 * d), Avx.LoadVector256(p + 3 * d));
                    double* dst = xT + i * stride + r + h;
                    Avx.Store(dst, c0);
                    Avx.Store(dst + stride, c1);
                    Avx.Store(dst + 2 * stride, c2);
                    Avx.Store(dst + 3 * stride, c3);
                }
            for (; i < d; i++)
            {
                double* dst = xT + i * stride + r;
                for (int h = 0; h < 8; h++) dst[h] = s0[h * d + i];
            }
        }
        return r;
    }

    /// <summary>The next few lines of the block after next (armed by the transposition; see _spreadPrefetch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchStep() => PrefetchStep(_prefetchLinesPerStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchStep(int lines)
    {
        if (!Sse.IsSupported) return;
        nint next = _prefetchNext, end = _prefetchEnd;
        for (int n = lines; n > 0 && next < end; n--, next += 64) Sse.Prefetch1((void*)next);
        _prefetchNext = next;
    }

    // The triangular product q[r] = Σ_j (Σ_{i≤j} (x[i,r] − μ[i])·U[i,j])², centred as x is loaded: every row sums its
    // columns j in order, each column over i in order (terms past the diagonal are the zero padding of U, adding exact
    // zeros), so the row and column blocking of a register tile changes no bits and each width takes the tile that fits
    // its registers.

    /// <summary>
    /// Triangular product for the 256- and 128-bit paths (AVX2/SSE: 16 registers): passes of 3 vectors of rows × 4
    /// columns (12 accumulators + 3 rows + a broadcast), and of 2 where 3 do not divide the block. 12 independent FMA
    /// chains cover the FMA latency of both pipes with room to spare (8 do exactly, and stall on any late load), and a
    /// broadcast of U feeds 3 FMAs instead of 2. Row sums live in q between column blocks (adding in the same order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TriangularSquaredNormNarrow<T, TV>(double* xT, int stride, double* u, double* mu, double* q, double* bound) where T : ISimd<TV> where TV : struct
    {
        int w = T.Count, vectors = BlockRows / w, v = 0;
        long work = 0;
        for (; TakeThree(vectors - v); v += 3) work += TriangularRows3<T, TV>(xT + v * w, stride, u, mu, q + v * w, bound == null ? null : bound + v * w);
        for (; v < vectors; v += 2) work += TriangularRows2<T, TV>(xT + v * w, stride, u, mu, q + v * w, bound == null ? null : bound + v * w);
        int blocks = _dp / 4;
        _triangularWork += (long)NarrowTriangularPasses(_bits) * blocks * (blocks + 1) / 2;
        _triangularWorkDone += work;
    }

    /// <summary>Passes of <see cref="TriangularSquaredNormNarrow"/> per block (each prefetches once per column block).</summary>
    private static int NarrowTriangularPasses(int bits)
    {
        int vectors = BlockRows / (bits / 64), v = 0, passes = 0;
        for (; TakeThree(vectors - v); v += 3) passes++;
        for (; v < vectors; v += 2) passes++;
        return passes;
    }

    /// <summary>Whether a pass of 3 (row vectors, or rows of a strip) still leaves what passes of 2 can finish: never 1.</summary>
    private static bool TakeThree(int left) => left == 3 || left >= 5;

    /// <returns>The column blocks' work done (block b counts b + 1), less than all when the rows were pruned.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TriangularRows3<T, TV>(double* xT, nint stride, double* u, double* mu, double* q, double* bound) where T : ISimd<TV> where TV : struct
    {
        int d = _d, dp = _dp;
        nint w = T.Count;
        T.Store(default, q);
        T.Store(default, q + w);
        T.Store(default, q + 2 * w);
        for (int j0 = 0; j0 < dp; j0 += 4)
        {
            PrefetchStep();
            TV a00 = default, a01 = default, a02 = default, a03 = default;
            TV a10 = default, a11 = default, a12 = default, a13 = default;
            TV a20 = default, a21 = default, a22 = default, a23 = default;
            double* x = xT, uu = u + ColumnBlockOffset(j0), m = mu, mEnd = mu + j0;
            for (; m <= mEnd; m++, x += stride, uu += 4)
            {
                var c = T.Create(*m);
                var x0 = T.Sub(T.Load(x), c);
                var x1 = T.Sub(T.Load(x + w), c);
                var x2 = T.Sub(T.Load(x + 2 * w), c);
                c = T.Create(uu[0]);
                a00 = T.Fma(x0, c, a00); a10 = T.Fma(x1, c, a10); a20 = T.Fma(x2, c, a20);
                c = T.Create(uu[1]);
                a01 = T.Fma(x0, c, a01); a11 = T.Fma(x1, c, a11); a21 = T.Fma(x2, c, a21);
                c = T.Create(uu[2]);
                a02 = T.Fma(x0, c, a02); a12 = T.Fma(x1, c, a12); a22 = T.Fma(x2, c, a22);
                c = T.Create(uu[3]);
                a03 = T.Fma(x0, c, a03); a13 = T.Fma(x1, c, a13); a23 = T.Fma(x2, c, a23);
            }
            // The rest of the diagonal block (see TriangularSquaredNorm512): row j0 + a needs columns a..3 only.
            for (int a = 1; a < 4 && j0 + a < d; a++, m++, x += stride, uu += 4)
            {
                var c = T.Create(*m);
                var x0 = T.Sub(T.Load(x), c);
                var x1 = T.Sub(T.Load(x + w), c);
                var x2 = T.Sub(T.Load(x + 2 * w), c);
                if (a == 1)
                {
                    c = T.Create(uu[1]);
                    a01 = T.Fma(x0, c, a01); a11 = T.Fma(x1, c, a11); a21 = T.Fma(x2, c, a21);
                }
                if (a <= 2)
                {
                    c = T.Create(uu[2]);
                    a02 = T.Fma(x0, c, a02); a12 = T.Fma(x1, c, a12); a22 = T.Fma(x2, c, a22);
                }
                c = T.Create(uu[3]);
                a03 = T.Fma(x0, c, a03); a13 = T.Fma(x1, c, a13); a23 = T.Fma(x2, c, a23);
            }
            var q0 = SumSquares<T, TV>(T.Load(q), a00, a01, a02, a03);
            var q1 = SumSquares<T, TV>(T.Load(q + w), a10, a11, a12, a13);
            var q2 = SumSquares<T, TV>(T.Load(q + 2 * w), a20, a21, a22, a23);
            if (bound != null && T.AllGreaterOrEqual(q0, T.Load(bound)) && T.AllGreaterOrEqual(q1, T.Load(bound + w))
                && T.AllGreaterOrEqual(q2, T.Load(bound + 2 * w)))
            {
                var inf = T.Create(double.PositiveInfinity);
                T.Store(inf, q);
                T.Store(inf, q + w);
                T.Store(inf, q + 2 * w);
                return Work(j0);
            }
            T.Store(q0, q);
            T.Store(q1, q + w);
            T.Store(q2, q + 2 * w);
        }
        return Work(dp - 4);
    }

    /// <summary>Work of column blocks 0 … j0/4 of a triangular pass (block b has b + 1 row blocks).</summary>
    private static int Work(int j0) => (j0 / 4 + 1) * (j0 / 4 + 2) / 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TriangularRows2<T, TV>(double* xT, nint stride, double* u, double* mu, double* q, double* bound) where T : ISimd<TV> where TV : struct
    {
        int d = _d, dp = _dp;
        nint w = T.Count;
        TV q0 = default, q1 = default;
        for (int j0 = 0; j0 < dp; j0 += 4)
        {
            PrefetchStep();
            TV a00 = default, a01 = default, a02 = default, a03 = default;
            TV a10 = default, a11 = default, a12 = default, a13 = default;
            double* x = xT, uu = u + ColumnBlockOffset(j0), m = mu, mEnd = mu + j0;
            for (; m <= mEnd; m++, x += stride, uu += 4)
            {
                var c = T.Create(*m);
                var x0 = T.Sub(T.Load(x), c);
                var x1 = T.Sub(T.Load(x + w), c);
                c = T.Create(uu[0]);
                a00 = T.Fma(x0, c, a00); a10 = T.Fma(x1, c, a10);
                c = T.Create(uu[1]);
                a01 = T.Fma(x0, c, a01); a11 = T.Fma(x1, c, a11);
                c = T.Create(uu[2]);
                a02 = T.Fma(x0, c, a02); a12 = T.Fma(x1, c, a12);
                c = T.Create(uu[3]);
                a03 = T.Fma(x0, c, a03); a13 = T.Fma(x1, c, a13);
            }
            for (int a = 1; a < 4 && j0 + a < d; a++, m++, x += stride, uu += 4)
            {
                var c = T.Create(*m);
                var x0 = T.Sub(T.Load(x), c);
                var x1 = T.Sub(T.Load(x + w), c);
                if (a == 1)
                {
                    c = T.Create(uu[1]);
                    a01 = T.Fma(x0, c, a01); a11 = T.Fma(x1, c, a11);
                }
                if (a <= 2)
                {
                    c = T.Create(uu[2]);
                    a02 = T.Fma(x0, c, a02); a12 = T.Fma(x1, c, a12);
                }
                c = T.Create(uu[3]);
                a03 = T.Fma(x0, c, a03); a13 = T.Fma(x1, c, a13);
            }
            q0 = SumSquares<T, TV>(q0, a00, a01, a02, a03);
            q1 = SumSquares<T, TV>(q1, a10, a11, a12, a13);
            if (bound != null && T.AllGreaterOrEqual(q0, T.Load(bound)) && T.AllGreaterOrEqual(q1, T.Load(bound + w)))
            {
                var inf = T.Create(double.PositiveInfinity);
                T.Store(inf, q);
                T.Store(inf, q + w);
                return Work(j0);
            }
        }
        T.Store(q0, q);
        T.Store(q1, q + w);
        return Work(dp - 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SumSquares<T, TV>(TV q, TV a, TV b, TV c, TV e) where T : ISimd<TV> where TV : struct
    {
        q = T.Fma(a, a, q);
        q = T.Fma(b, b, q);
        q = T.Fma(c, c, q);
        return T.Fma(e, e, q);
    }

    /// <summary>
    /// q[r] = Σ_i ((xT[i,r] − μ[i])·p[i])², 4 vectors of rows per pass so four independent FMA chains hide the latency
    /// (each row's sum keeps its order over i, so the bits do not depend on the grouping or the width).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DiagonalSquaredNorm<T, TV>(double* xT, int stride, double* mu, double* p, double* q) where T : ISimd<TV> where TV : struct
    {
        int d = _d, w = T.Count;
        for (int rg = 0; rg < BlockRows; rg += 4 * w)
        {
            TV q0 = default, q1 = default, q2 = default, q3 = default;
            double* x = xT + rg;
            for (int i = 0; i < d; i++, x += stride)
            {
                var m = T.Create(mu[i]);
                var pi = T.Create(p[i]);
                var y0 = T.Mul(T.Sub(T.Load(x), m), pi);
                var y1 = T.Mul(T.Sub(T.Load(x + w), m), pi);
                var y2 = T.Mul(T.Sub(T.Load(x + 2 * w), m), pi);
                var y3 = T.Mul(T.Sub(T.Load(x + 3 * w), m), pi);
                q0 = T.Fma(y0, y0, q0);
                q1 = T.Fma(y1, y1, q1);
                q2 = T.Fma(y2, y2, q2);
                q3 = T.Fma(y3, y3, q3);
            }
            T.Store(q0, q + rg);
            T.Store(q1, q + rg + w);
            T.Store(q2, q + rg + 2 * w);
            T.Store(q3, q + rg + 3 * w);
        }
    }

    /// <summary>
    /// Diagonal moments in one pass: e = x − μ recomputed from xT, v = e·r, S1[i] += v, S2[i] += v·e, four dimensions
    /// at a time (eight accumulator chains); 4 logical lanes per accumulator (row mod 4), each summing its rows in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DiagonalMoments256(double* xT, double* mu, double* resp, double* s1, double* s2)
    {
        int d = _d, i = 0;
        for (; i + 4 <= d; i += 4)
        {
            var m0 = Vector256.Create(mu[i]);
            var m1 = Vector256.Create(mu[i + 1]);
            var m2 = Vector256.Create(mu[i + 2]);
            var m3 = Vector256.Create(mu[i + 3]);
            double* a = s1 + 4 * i, b = s2 + 4 * i;
            Vector256<double> a0 = Vector256.Load(a), a1 = Vector256.Load(a + 4), a2 = Vector256.Load(a + 8), a3 = Vector256.Load(a + 12);
            Vector256<double> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 4), b2 = Vector256.Load(b + 8), b3 = Vector256.Load(b + 12);
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
            Vector256.Store(a0, a); Vector256.Store(a1, a + 4); Vector256.Store(a2, a + 8); Vector256.Store(a3, a + 12);
            Vector256.Store(b0, b); Vector256.Store(b1, b + 4); Vector256.Store(b2, b + 8); Vector256.Store(b3, b + 12);
        }
        for (; i < d; i++)
        {
            var m = Vector256.Create(mu[i]);
            double* pa = s1 + 4 * i, pb = s2 + 4 * i;
            Vector256<double> a = Vector256.Load(pa), b = Vector256.Load(pb);
            double* x = xT + i * BlockRows;
            for (int r = 0; r < BlockRows; r += 4)
            {
                var e = Vector256.Load(x + r) - m;
                var v = e * Vector256.Load(resp + r);
                a += v;
                b = Vector256.FusedMultiplyAdd(v, e, b);
            }
            Vector256.Store(a, pa); Vector256.Store(b, pb);
        }
    }

    /// <summary>As <see cref="DiagonalMoments256"/> with each 4-lane accumulator in two Vector128 (lanes 0–1, 2–3), two dimensions at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DiagonalMoments128(double* xT, double* mu, double* resp, double* s1, double* s2)
    {
        int d = _d, i = 0;
        for (; i + 2 <= d; i += 2)
        {
            var m0 = Vector128.Create(mu[i]);
            var m1 = Vector128.Create(mu[i + 1]);
            double* a = s1 + 4 * i, b = s2 + 4 * i;
            Vector128<double> a0l = Vector128.Load(a), a0h = Vector128.Load(a + 2), a1l = Vector128.Load(a + 4), a1h = Vector128.Load(a + 6);
            Vector128<double> b0l = Vector128.Load(b), b0h = Vector128.Load(b + 2), b1l = Vector128.Load(b + 4), b1h = Vector128.Load(b + 6);
            double* x = xT + i * BlockRows;
            for (int r = 0; r < BlockRows; r += 4)
            {
                var rl = Vector128.Load(resp + r);
                var rh = Vector128.Load(resp + r + 2);
                var e0l = Vector128.Load(x + r) - m0;
                var e0h = Vector128.Load(x + r + 2) - m0;
                var e1l = Vector128.Load(x + BlockRows + r) - m1;
                var e1h = Vector128.Load(x + BlockRows + r + 2) - m1;
                var v0l = e0l * rl; var v0h = e0h * rh; var v1l = e1l * rl; var v1h = e1h * rh;
                a0l += v0l; a0h += v0h; a1l += v1l; a1h += v1h;
                b0l = Vector128.FusedMultiplyAdd(v0l, e0l, b0l);
                b0h = Vector128.FusedMultiplyAdd(v0h, e0h, b0h);
                b1l = Vector128.FusedMultiplyAdd(v1l, e1l, b1l);
                b1h = Vector128.FusedMultiplyAdd(v1h, e1h, b1h);
            }
            Vector128.Store(a0l, a); Vector128.Store(a0h, a + 2); Vector128.Store(a1l, a + 4); Vector128.Store(a1h, a + 6);
            Vector128.Store(b0l, b); Vector128.Store(b0h, b + 2); Vector128.Store(b1l, b + 4); Vector128.Store(b1h, b + 6);
        }
        for (; i < d; i++)
        {
            var m = Vector128.Create(mu[i]);
            double* pa = s1 + 4 * i, pb = s2 + 4 * i;
            Vector128<double> al = Vector128.Load(pa), ah = Vector128.Load(pa + 2), bl = Vector128.Load(pb), bh = Vector128.Load(pb + 2);
            double* x = xT + i * BlockRows;
            for (int r = 0; r < BlockRows; r += 4)
            {
                var el = Vector128.Load(x + r) - m;
                var eh = Vector128.Load(x + r + 2) - m;
                var vl = el * Vector128.Load(resp + r);
                var vh = eh * Vector128.Load(resp + r + 2);
                al += vl; ah += vh;
                bl = Vector128.FusedMultiplyAdd(vl, el, bl);
                bh = Vector128.FusedMultiplyAdd(vh, eh, bh);
            }
            Vector128.Store(al, pa); Vector128.Store(ah, pa + 2); Vector128.Store(bl, pb); Vector128.Store(bh, pb + 2);
        }
    }

    /// <summary>log p(x) = max + log Σ exp(w_k − max) (scipy's logsumexp order); responsibilities exp(w_k − max) / Σ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LogSumExp<T, TV>(int count) where T : ISimd<TV> where TV : struct
    {
        fixed (double* w = _weightedLogProb)
        fixed (double* resp = _resp)
        fixed (double* lse = _lse)
        {
            var one = T.Create(1.0);
            for (int r = 0; r < BlockRows; r += T.Count)
            {
                var m = T.Load(w + r);
                for (int k = 1; k < _k; k++) m = T.Max(m, T.Load(w + k * BlockRows + r));
                TV s = default;
                for (int k = 0; k < _k; k++)
                {
                    var e = Exp<T, TV>(T.Sub(T.Load(w + k * BlockRows + r), m));
                    s = T.Add(s, e);
                    if (_collect) T.Store(e, resp + k * BlockRows + r);
                }
                T.Store(T.Add(KernelMath.LogAtLeastOne<T, TV>(s), m), lse + r);
                if (_collect)
                {
                    // r_k = e^(w_k − m) / s: one division instead of K more exps (within 2 ulp of e^(w_k − log p)).
                    // A row without a finite maximum (s &lt; 1 or NaN) gets zero responsibilities, as before.
                    var valid = T.GreaterOrEqual(s, one);
                    var inverse = T.Div(one, s);
                    for (int k = 0; k < _k; k++)
                        T.Store(T.And(T.Mul(T.Load(resp + k * BlockRows + r), inverse), valid), resp + k * BlockRows + r);
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
    /// exp(x), flushing x &lt; −600 to 0: <see cref="KernelMath.Exp{T, TV}"/> is valid down to −700, and the flush keeps
    /// near-underflow responsibilities from making subnormal moment terms (each a slow microcode assist). What is
    /// flushed is &lt; 3e−261, more than 240 orders of magnitude below one ulp of any responsibility sum
    /// (each N_k ≥ 10·eps). (The slow early iterations once blamed on subnormals were JIT tiering of Vector256.Exp.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp<T, TV>(TV x) where T : ISimd<TV> where TV : struct
    {
        var floor = T.Create(-600.0);
        var inRange = T.GreaterOrEqual(x, floor);
        return T.And(KernelMath.Exp<T, TV>(T.Max(x, floor)), inRange);
    }

    /// <summary>acc[0..4) += Σ src rows in 4 logical lanes (lane = row mod 4), rows in order; rows a multiple of 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddLanes4(double* acc, double* src, int rows)
    {
        if (_bits == 128)
        {
            var lo = Vector128.Load(acc);
            var hi = Vector128.Load(acc + 2);
            for (int r = 0; r < rows; r += 4) { lo += Vector128.Load(src + r); hi += Vector128.Load(src + r + 2); }
            Vector128.Store(lo, acc);
            Vector128.Store(hi, acc + 2);
        }
        else
        {
            var a = Vector256.Load(acc);
            for (int r = 0; r < rows; r += 4) a += Vector256.Load(src + r);
            Vector256.Store(a, acc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Accumulate(int count)
    {
        _rows += count;
        fixed (double* lse = _lse)
        fixed (double* ll = _llLanes)
            AddLanes4(ll, lse, BlockRows);
        if (FullSecondMoments)
        {
            // Deferred to the panel: the block's rows are in their slot already (XBlock), its responsibilities go there.
            int slot = _panelBlocks * BlockRows;
            for (int k = 0; k < _k; k++) _resp.AsSpan(k * BlockRows, BlockRows).CopyTo(_rPanel.AsSpan(k * PanelRows + slot, BlockRows));
            if (++_panelBlocks == PanelBlocks) DrainPanel();
            return;
        }
        for (int k = 0; k < _k; k++)
        {
            fixed (double* xT = _xT)
            fixed (double* mu = &_meansPadded[k * _dp])
            fixed (double* resp = &_resp[k * BlockRows])
            fixed (double* n = &_nLanes[k * 4])
            fixed (double* s1 = &_s1Lanes[k * _dp * 4])
            fixed (double* s2 = &_s2Lanes[k * _dp * 4])
            {
                AddLanes4(n, resp, BlockRows);
                if (_bits == 128) DiagonalMoments128(xT, mu, resp, s1, s2);
                else DiagonalMoments256(xT, mu, resp, s1, s2);
            }
        }
    }

    /// <summary>
    /// Where row r of a panel lives in dP/wP: grouped by logical S2 lane group, so each width reads its lanes
    /// contiguously. With G = doubles per vector, lanes [gG, gG+G) of the 8 (rows with r mod 8 in that range) form
    /// block g of PanelRows·G/8 slots, in row order; G = 8 is the identity.
    /// </summary>
    /// <remarks>g = 1 &lt;&lt; log2G; shifts only (an integer division here cost ~0.05 s per K=2 d=39 iteration).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PanelSlot(int r, int log2G) =>
        (((r & 7) >> log2G) * (PanelRows / 8) << log2G) + ((r >> 3) << log2G) + (r & ((1 << log2G) - 1));

    /// <summary>
    /// Full moments of the blocks waiting in the panel. Every accumulator lane still adds its rows in row order (a
    /// panel is its blocks one after another), so the bits are those of accumulating block by block; the d² tile
    /// accumulators, which outgrow L2 for large d·K (K=4, d=118: 1.8 MB), are loaded and stored once per panel. Groups of
    /// 8 rows whose responsibilities for the component are all zero are skipped (<see cref="ActiveRuns"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DrainPanel()
    {
        int rows = _panelBlocks * BlockRows;
        if (rows == 0) return;
        int log2G = _bits == 512 ? 3 : _bits == 256 ? 2 : 1;   // doubles per vector: 8, 4, 2
        int* runs = stackalloc int[PanelRows / 8 + 1];
        int* laneRows = stackalloc int[PanelRows];
        double* laneResp = stackalloc double[PanelRows];
        int* laneCounts = stackalloc int[8];
        for (int k = 0; k < _k; k++)
        {
            fixed (double* xP = _xPanel)
            fixed (double* mu = &_meansPadded[k * _dp])
            fixed (double* dP = _dPanel)
            fixed (double* wP = _wPanel)
            fixed (double* rPanel = _rPanel)
            fixed (double* n = &_nLanes[k * 4])
            fixed (double* s1 = &_s1Lanes[k * _dp * 4])
            fixed (double* tiles = _s2Tiles)
            {
                double* resp = rPanel + k * PanelRows;
                AddLanes4(n, resp, rows);
                int runsLength = ActiveRuns(resp, rows, runs, out int activeGroups, out int fullGroups);
                if (runsLength == 0)
                {
                    _momentGroups += rows / 8;
                    _momentGroupsSkipped += rows / 8;
                    continue;
                }
                // Packing (512- and 256-bit) pays for its transposes when it saves a quarter of the vectors: rows in random
                // order, where few groups of 8 are all zero. Full-KDD size (bootstrap-resampled, so shuffled), K=8, 2 threads:
                // 30 % of the vectors skipped by groups alone, 58 % with packing; AVX-512 Zen 4 ~3 % less time (noisy machine).
                // Every lane has a row in each full group, so packing needs at least fullGroups vectors: no scan when that is too many.
                int packed = _bits >= 256 && SkipZeroResponsibilityGroups && 4 * fullGroups <= 3 * activeGroups
                    ? PackLanes(resp, rows, laneRows, laneResp, laneCounts) : activeGroups;
                bool pack = 4 * packed <= 3 * activeGroups;
                _momentGroups += rows / 8;
                _momentGroupsSkipped += rows / 8 - (pack ? packed : activeGroups);
                if (pack) _packedAccumulations++;
                int i = 0;
                if (_bits == 512)
                    for (; i + 4 <= _d; i += 4)
                        CenterWeigh512x4(xP + i * PanelStride, mu + i, resp, wP + i * PanelStride, s1 + 4 * i, runs, runsLength, !pack);
                else if (_bits == 256)
                    for (; i + 4 <= _d; i += 4)
                        CenterWeigh256x4(xP + i * PanelStride, mu + i, resp, dP + i * PanelStride, wP + i * PanelStride, s1 + 4 * i, runs, runsLength, log2G, !pack);
                else
                    for (; i + 2 <= _d; i += 2)
                        CenterWeigh128x2(xP + i * PanelStride, mu + i, resp, dP + i * PanelStride, wP + i * PanelStride, s1 + 4 * i, runs, runsLength);
                for (; i < _d; i++)
                {
                    double* x = xP + i * PanelStride, e = _bits == 512 ? null : dP + i * PanelStride, w = wP + i * PanelStride;
                    if (_bits == 128) CenterWeigh128(x, mu[i], resp, e, w, s1 + 4 * i, runs, runsLength);
                    else CenterWeigh256(x, mu[i], resp, e, w, s1 + 4 * i, runs, runsLength, log2G, !pack);
                }
                // Padding dimensions of dP/wP are zero from construction and never written.
                double* t = tiles + k * _tiles * 16 * 8;
                if (pack && _bits == 512) OuterProductPacked512(mu, laneRows, laneResp, packed, (Vector512<double>*)t);
                else if (pack) OuterProductPacked256(mu, laneRows, laneResp, packed, t);
                else if (_bits == 512) OuterProductUpper512(wP, xP, mu, (Vector512<double>*)t, runs, runsLength);
                else if (_bits == 256) OuterProductUpperNarrow<Simd256, Vector256<double>>(wP, dP, t, runs, runsLength);
                else OuterProductUpperNarrow<Simd128, Vector128<double>>(wP, dP, t, runs, runsLength);
            }
        }
        _panelBlocks = 0;
    }

    /// <summary>
    /// The panel's 8-row groups (rows 8j … 8j+7) with a nonzero responsibility for one component, as runs: runs[2m] ≤ j &lt;
    /// runs[2m+1]; returns the number of bounds written (twice the runs). A group whose 8 responsibilities are all +0
    /// (Exp flushes below −600; hard assignments) would add exactly ±0 to every S1 and S2 lane, and x + (±0) = x for
    /// every accumulator value but −0, which an accumulator starting at +0 never takes: skipping the group gives the
    /// same bits on every path. Which groups those are follows from the data alone, not the vector width.
    /// </summary>
    /// <remarks>
    /// `bench em` on the KDD 10 % file (seed preset, d=39): 40 % of the groups are skipped at K=2, 56 % at K=4, 66 % at
    /// K=8, and 56 % for kdd-wide K=4 (d=118): rows of one kind come in runs, and a row's other components are hundreds
    /// of nats away. 512-bit, 2 threads, side by side: K=8 0.187–0.195 → 0.123–0.141 s per iteration, kdd-wide K=4
    /// 0.649–0.654 → 0.476–0.482 s.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ActiveRuns(double* resp, int rows, int* runs, out int active, out int full)
    {
        int length = 0, groups = rows / 8;
        active = full = 0;
        if (!SkipZeroResponsibilityGroups)
        {
            runs[0] = 0;
            runs[1] = groups;
            active = full = groups;
            return 2;
        }
        bool open = false;
        var bits = (ulong*)resp;   // responsibilities are ≥ +0: a group is all +0 exactly when its bit patterns OR to 0
        for (int j = 0; j < groups; j++, bits += 8)
        {
            bool nonzero = ((bits[0] | bits[1]) | (bits[2] | bits[3]) | (bits[4] | bits[5]) | (bits[6] | bits[7])) != 0;
            if (nonzero) active++;
            if (bits[0] != 0 && bits[1] != 0 && bits[2] != 0 && bits[3] != 0 && bits[4] != 0 && bits[5] != 0 && bits[6] != 0 && bits[7] != 0) full++;
            if (nonzero == open) continue;
            runs[length++] = j;
            open = nonzero;
        }
        if (open) runs[length++] = groups;
        return length;
    }

    /// <summary>
    /// Each S2 lane's rows with a nonzero responsibility, packed: lane ℓ's m-th such row (in row order) goes to slot
    /// 8m + ℓ of <paramref name="laneRows"/>, its responsibility to the same slot of <paramref name="laneResp"/>; lanes
    /// with fewer rows are padded. Returns the vectors (8 slots each) this takes. A lane still adds its
    /// rows in row order, and a padding slot (the zero row <see cref="PanelRows"/> of the row-major panel, responsibility
    /// 0) adds ±0 (see <see cref="ActiveRuns"/>): the same bits.
    /// </summary>
    private static int PackLanes(double* resp, int rows, int* laneRows, double* laneResp, int* laneCounts)
    {
        for (int l = 0; l < 8; l++) laneCounts[l] = 0;
        var bits = (ulong*)resp;
        for (int r = 0; r < rows; r++)
            if (bits[r] != 0)
            {
                int l = r & 7, slot = 8 * laneCounts[l]++ + l;
                laneRows[slot] = r;
                laneResp[slot] = resp[r];
            }
        int vectors = 0;
        for (int l = 0; l < 8; l++) vectors = Math.Max(vectors, laneCounts[l]);
        for (int l = 0; l < 8; l++)
            for (int m = laneCounts[l]; m < vectors; m++)
            {
                laneRows[8 * m + l] = PanelRows;
                laneResp[8 * m + l] = 0;
            }
        return vectors;
    }

    /// <summary>
    /// The outer product over packed lanes (<see cref="PackLanes"/>): 8 rows at a time (one per lane) are read from the
    /// row-major copy of the panel and transposed in registers, 8 dimensions at a time, into packed x and w = (x − μ)·r
    /// (the operations of the dense path, so the same values), then the dense 512-bit product runs over them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OuterProductPacked512(double* mu, int* laneRows, double* laneResp, int vectors, Vector512<double>* tiles)
    {
        int d = _d, dp = _dp;
        fixed (double* rowPanel = _rowPanel)
        fixed (double* pe = _packedE)
        fixed (double* pw = _packedW)
        {
            for (int m = 0; m < vectors; m++)
            {
                int* lr = laneRows + 8 * m;
                var r = Vector512.Load(laneResp + 8 * m);
                double* s0 = rowPanel + (nint)lr[0] * d, s1 = rowPanel + (nint)lr[1] * d;
                double* s2 = rowPanel + (nint)lr[2] * d, s3 = rowPanel + (nint)lr[3] * d;
                double* s4 = rowPanel + (nint)lr[4] * d, s5 = rowPanel + (nint)lr[5] * d;
                double* s6 = rowPanel + (nint)lr[6] * d, s7 = rowPanel + (nint)lr[7] * d;
                for (int c = 0; c < dp; c += 8)
                {
                    // C_j = dimension c + j of the 8 lanes' rows.
                    Transpose8x8(Vector512.Load(s0 + c), Vector512.Load(s1 + c), Vector512.Load(s2 + c), Vector512.Load(s3 + c),
                        Vector512.Load(s4 + c), Vector512.Load(s5 + c), Vector512.Load(s6 + c), Vector512.Load(s7 + c),
                        out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                    double* px = pe + c * PanelStride + 8 * m, w = pw + c * PanelStride + 8 * m;
                    Store(c0, mu[c], r, px, w);
                    Store(c1, mu[c + 1], r, px + PanelStride, w + PanelStride);
                    Store(c2, mu[c + 2], r, px + 2 * PanelStride, w + 2 * PanelStride);
                    Store(c3, mu[c + 3], r, px + 3 * PanelStride, w + 3 * PanelStride);
                    if (c + 4 >= dp) break;   // dp is a multiple of 4: the last 8 may be half padding
                    Store(c4, mu[c + 4], r, px + 4 * PanelStride, w + 4 * PanelStride);
                    Store(c5, mu[c + 5], r, px + 5 * PanelStride, w + 5 * PanelStride);
                    Store(c6, mu[c + 6], r, px + 6 * PanelStride, w + 6 * PanelStride);
                    Store(c7, mu[c + 7], r, px + 7 * PanelStride, w + 7 * PanelStride);
                }
            }
            int* all = stackalloc int[2];
            all[0] = 0;
            all[1] = vectors;
            OuterProductUpper512(pw, pe, mu, tiles, all, 2);
        }

        static void Store(Vector512<double> x, double mu, Vector512<double> r, double* packedX, double* w)
        {
            Vector512.Store(x, packedX);
            Vector512.Store((x - Vector512.Create(mu)) * r, w);
        }
    }

    /// <summary>
    /// <see cref="OuterProductPacked512"/> for the 256-bit path: lanes 0–3 and 4–7 of packed vector m go to slot 4m of
    /// lane group 0 and 1 (<see cref="PanelSlot"/> with G = 4), through 4×4 in-register transposes; then the narrow
    /// product runs over the packed vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OuterProductPacked256(double* mu, int* laneRows, double* laneResp, int vectors, double* tiles)
    {
        int d = _d, dp = _dp;
        fixed (double* rowPanel = _rowPanel)
        fixed (double* pe = _packedE)
        fixed (double* pw = _packedW)
        {
            for (int m = 0; m < vectors; m++)
                for (int group = 0; group < 2; group++)
                {
                    int* lr = laneRows + 8 * m + 4 * group;
                    var r = Vector256.Load(laneResp + 8 * m + 4 * group);
                    double* s0 = rowPanel + (nint)lr[0] * d, s1 = rowPanel + (nint)lr[1] * d;
                    double* s2 = rowPanel + (nint)lr[2] * d, s3 = rowPanel + (nint)lr[3] * d;
                    nint slot = group * (PanelRows / 2) + 4 * m;
                    for (int c = 0; c < dp; c += 4)
                    {
                        // Dimension c + j of the 4 lanes' rows.
                        var (c0, c1, c2, c3) = Transpose4x4(Vector256.Load(s0 + c), Vector256.Load(s1 + c),
                            Vector256.Load(s2 + c), Vector256.Load(s3 + c));
                        double* e = pe + c * PanelStride + slot, w = pw + c * PanelStride + slot;
                        Store(c0, mu[c], r, e, w);
                        Store(c1, mu[c + 1], r, e + PanelStride, w + PanelStride);
                        Store(c2, mu[c + 2], r, e + 2 * PanelStride, w + 2 * PanelStride);
                        Store(c3, mu[c + 3], r, e + 3 * PanelStride, w + 3 * PanelStride);
                    }
                }
            int* all = stackalloc int[2];
            all[0] = 0;
            all[1] = vectors;
            OuterProductUpperNarrow<Simd256, Vector256<double>>(pw, pe, tiles, all, 2);
        }

        static void Store(Vector256<double> x, double mu, Vector256<double> r, double* e, double* w)
        {
            var centred = x - Vector256.Create(mu);
            Vector256.Store(centred, e);
            Vector256.Store(centred * r, w);
        }
    }

    /// <summary>
    /// e = x − μ, v = e·r into their panel slots (<see cref="PanelSlot"/>, G = 4 or 8: log2G 2 or 3), S1 += v in 4 lanes; S1 only
    /// when the outer product reads packed lanes instead (<paramref name="store"/> false), which it builds from the rows itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CenterWeigh256(double* x, double mu, double* resp, double* e, double* w, double* s1, int* runs, int runsLength, int log2G, bool store)
    {
        var m = Vector256.Create(mu);
        var a = Vector256.Load(s1);
        for (int q = 0; q < runsLength; q += 2)
        for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 4)
        {
            var c = Vector256.Load(x + r) - m;
            var v = c * Vector256.Load(resp + r);
            if (store)
            {
                int slot = PanelSlot(r, log2G);
                if (e != null) Vector256.Store(c, e + slot);   // null on the 512-bit path (see CenterWeigh512x4)
                Vector256.Store(v, w + slot);
            }
            a += v;
        }
        Vector256.Store(a, s1);
    }

    /// <summary>
    /// <see cref="CenterWeigh256"/> for four dimensions at once (x, e, w at their first, stride PanelStride; mu and s1 at
    /// theirs): four independent S1 chains, where one dimension at a time waited on the latency of its single chain
    /// (K=4 d=39: centring and weighing were ~14 % of the E-step). Each dimension's sum keeps its order: the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CenterWeigh256x4(double* x, double* mu, double* resp, double* e, double* w, double* s1, int* runs, int runsLength, int log2G, bool store)
    {
        var m0 = Vector256.Create(mu[0]);
        var m1 = Vector256.Create(mu[1]);
        var m2 = Vector256.Create(mu[2]);
        var m3 = Vector256.Create(mu[3]);
        Vector256<double> a0 = Vector256.Load(s1), a1 = Vector256.Load(s1 + 4), a2 = Vector256.Load(s1 + 8), a3 = Vector256.Load(s1 + 12);
        for (int q = 0; q < runsLength; q += 2)
        for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 4)
        {
            var rr = Vector256.Load(resp + r);
            var c0 = Vector256.Load(x + r) - m0;
            var c1 = Vector256.Load(x + PanelStride + r) - m1;
            var c2 = Vector256.Load(x + 2 * PanelStride + r) - m2;
            var c3 = Vector256.Load(x + 3 * PanelStride + r) - m3;
            var v0 = c0 * rr; var v1 = c1 * rr; var v2 = c2 * rr; var v3 = c3 * rr;
            if (store)
            {
                int slot = PanelSlot(r, log2G);
                Vector256.Store(c0, e + slot); Vector256.Store(v0, w + slot);
                Vector256.Store(c1, e + PanelStride + slot); Vector256.Store(v1, w + PanelStride + slot);
                Vector256.Store(c2, e + 2 * PanelStride + slot); Vector256.Store(v2, w + 2 * PanelStride + slot);
                Vector256.Store(c3, e + 3 * PanelStride + slot); Vector256.Store(v3, w + 3 * PanelStride + slot);
            }
            a0 += v0; a1 += v1; a2 += v2; a3 += v3;
        }
        Vector256.Store(a0, s1); Vector256.Store(a1, s1 + 4); Vector256.Store(a2, s1 + 8); Vector256.Store(a3, s1 + 12);
    }

    /// <summary>
    /// <see cref="CenterWeigh256x4"/> on 512-bit vectors (G = 8: panel slots are rows): 8 rows per load, sub, mul and
    /// store; each 4-lane S1 accumulator still adds rows r … r+3, then r+4 … r+7 (the same bits). Stores w only: the
    /// 512-bit outer product centres x itself (<see cref="OuterProductUpper512"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CenterWeigh512x4(double* x, double* mu, double* resp, double* w, double* s1, int* runs, int runsLength, bool store)
    {
        var m0 = Vector512.Create(mu[0]);
        var m1 = Vector512.Create(mu[1]);
        var m2 = Vector512.Create(mu[2]);
        var m3 = Vector512.Create(mu[3]);
        Vector256<double> a0 = Vector256.Load(s1), a1 = Vector256.Load(s1 + 4), a2 = Vector256.Load(s1 + 8), a3 = Vector256.Load(s1 + 12);
        for (int q = 0; q < runsLength; q += 2)
        for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 8)
        {
            var rr = Vector512.Load(resp + r);
            var c0 = Vector512.Load(x + r) - m0;
            var c1 = Vector512.Load(x + PanelStride + r) - m1;
            var c2 = Vector512.Load(x + 2 * PanelStride + r) - m2;
            var c3 = Vector512.Load(x + 3 * PanelStride + r) - m3;
            var v0 = c0 * rr; var v1 = c1 * rr; var v2 = c2 * rr; var v3 = c3 * rr;
            if (store)
            {
                Vector512.Store(v0, w + r);
                Vector512.Store(v1, w + PanelStride + r);
                Vector512.Store(v2, w + 2 * PanelStride + r);
                Vector512.Store(v3, w + 3 * PanelStride + r);
            }
            a0 += v0.GetLower(); a1 += v1.GetLower(); a2 += v2.GetLower(); a3 += v3.GetLower();
            a0 += v0.GetUpper(); a1 += v1.GetUpper(); a2 += v2.GetUpper(); a3 += v3.GetUpper();
        }
        Vector256.Store(a0, s1); Vector256.Store(a1, s1 + 4); Vector256.Store(a2, s1 + 8); Vector256.Store(a3, s1 + 12);
    }

    /// <summary>As <see cref="CenterWeigh256"/> with G = 2: each 4-lane S1 accumulator in two Vector128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CenterWeigh128(double* x, double mu, double* resp, double* e, double* w, double* s1, int* runs, int runsLength)
    {
        var m = Vector128.Create(mu);
        var lo = Vector128.Load(s1);
        var hi = Vector128.Load(s1 + 2);
        for (int q = 0; q < runsLength; q += 2)
        for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 4)
        {
            var cl = Vector128.Load(x + r) - m;
            var ch = Vector128.Load(x + r + 2) - m;
            var vl = cl * Vector128.Load(resp + r);
            var vh = ch * Vector128.Load(resp + r + 2);
            int sl = PanelSlot(r, 1), sh = PanelSlot(r + 2, 1);
            Vector128.Store(cl, e + sl);
            Vector128.Store(vl, w + sl);
            Vector128.Store(ch, e + sh);
            Vector128.Store(vh, w + sh);
            lo += vl;
            hi += vh;
        }
        Vector128.Store(lo, s1);
        Vector128.Store(hi, s1 + 2);
    }

    /// <summary><see cref="CenterWeigh128"/> for two dimensions at once (four independent S1 chains, as <see cref="CenterWeigh256x4"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CenterWeigh128x2(double* x, double* mu, double* resp, double* e, double* w, double* s1, int* runs, int runsLength)
    {
        var m0 = Vector128.Create(mu[0]);
        var m1 = Vector128.Create(mu[1]);
        Vector128<double> a0l = Vector128.Load(s1), a0h = Vector128.Load(s1 + 2), a1l = Vector128.Load(s1 + 4), a1h = Vector128.Load(s1 + 6);
        double* x1 = x + PanelStride, e1 = e + PanelStride, w1 = w + PanelStride;
        for (int q = 0; q < runsLength; q += 2)
        for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 4)
        {
            var rl = Vector128.Load(resp + r);
            var rh = Vector128.Load(resp + r + 2);
            int sl = PanelSlot(r, 1), sh = PanelSlot(r + 2, 1);
            var c0l = Vector128.Load(x + r) - m0;
            var c0h = Vector128.Load(x + r + 2) - m0;
            var c1l = Vector128.Load(x1 + r) - m1;
            var c1h = Vector128.Load(x1 + r + 2) - m1;
            var v0l = c0l * rl; var v0h = c0h * rh; var v1l = c1l * rl; var v1h = c1h * rh;
            Vector128.Store(c0l, e + sl); Vector128.Store(v0l, w + sl); Vector128.Store(c0h, e + sh); Vector128.Store(v0h, w + sh);
            Vector128.Store(c1l, e1 + sl); Vector128.Store(v1l, w1 + sl); Vector128.Store(c1h, e1 + sh); Vector128.Store(v1h, w1 + sh);
            a0l += v0l; a0h += v0h; a1l += v1l; a1h += v1h;
        }
        Vector128.Store(a0l, s1); Vector128.Store(a0h, s1 + 2); Vector128.Store(a1l, s1 + 4); Vector128.Store(a1h, s1 + 6);
    }

    /// <summary>
    /// S2[i,j] += Σ_r wT[i,r]·dT[j,r] over the upper triangle of 4×4 tiles, 256- and 128-bit paths (16 registers): the 8
    /// logical lanes of an accumulator are 8/G vectors, one per lane group of the panel (<see cref="PanelSlot"/>). For each
    /// tile column, the rows of its tiles (all rows up to the column's last) go in strips of 3 rows × 4 columns — 12
    /// accumulators + 3 rows + a column, 12 independent FMA chains (a 2×4 tile's 8 only just cover the FMA latency of two
    /// pipes) — and strips of 2 where 3 do not divide them. Diagonal tiles are computed whole: their lower slots are never
    /// read, and a 4×4 at full rate costs what the upper 10 products at the latency of fewer chains did. Every accumulator
    /// still adds its rows in row order: the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OuterProductUpperNarrow<T, TV>(double* wT, double* dT, double* tileLanes, int* runs, int runsLength) where T : ISimd<TV> where TV : struct
    {
        int t4 = _dp / 4, g = T.Count;
        for (int group = 0; group < 8 / g; group++)
        {
            int offset = group * (PanelRows / 8 * g);
            double* lanes = tileLanes + group * g;
            for (int tj = 0; tj < t4; tj++)
            {
                double* e = dT + 4 * tj * PanelStride + offset;
                int rows = 4 * (tj + 1), i = 0;
                for (; TakeThree(rows - i); i += 3)
                    OuterRows3<T, TV>(wT + i * PanelStride + offset, e, TileRow(lanes, i, tj, t4), TileRow(lanes, i + 1, tj, t4),
                        TileRow(lanes, i + 2, tj, t4), runs, runsLength);
                for (; i < rows; i += 2)
                    OuterRows2<T, TV>(wT + i * PanelStride + offset, e, TileRow(lanes, i, tj, t4), TileRow(lanes, i + 1, tj, t4), runs, runsLength);
            }
        }
    }

    /// <summary>Accumulator of row i, column 4·tj (then + 8 per column) in tile (i/4, tj) of the upper-triangular tile order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double* TileRow(double* lanes, int i, int tj, int t4)
    {
        int ti = i >> 2, tile = ti * t4 - ti * (ti - 1) / 2 + tj - ti;
        return lanes + (tile * 16 + (i & 3) * 4) * 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterRows3<T, TV>(double* w, double* e, double* p0, double* p1, double* p2, int* runs, int runsLength) where T : ISimd<TV> where TV : struct
    {
        nint g = T.Count, s = PanelStride;
        TV c00 = T.Load(p0), c01 = T.Load(p0 + 8), c02 = T.Load(p0 + 16), c03 = T.Load(p0 + 24);
        TV c10 = T.Load(p1), c11 = T.Load(p1 + 8), c12 = T.Load(p1 + 16), c13 = T.Load(p1 + 24);
        TV c20 = T.Load(p2), c21 = T.Load(p2 + 8), c22 = T.Load(p2 + 16), c23 = T.Load(p2 + 24);
        for (int q = 0; q < runsLength; q += 2)
        for (nint r = g * runs[q], end = g * runs[q + 1]; r < end; r += g)
        {
            var w0 = T.Load(w + r);
            var w1 = T.Load(w + s + r);
            var w2 = T.Load(w + 2 * s + r);
            var x = T.Load(e + r);
            c00 = T.Fma(w0, x, c00); c10 = T.Fma(w1, x, c10); c20 = T.Fma(w2, x, c20);
            x = T.Load(e + s + r);
            c01 = T.Fma(w0, x, c01); c11 = T.Fma(w1, x, c11); c21 = T.Fma(w2, x, c21);
            x = T.Load(e + 2 * s + r);
            c02 = T.Fma(w0, x, c02); c12 = T.Fma(w1, x, c12); c22 = T.Fma(w2, x, c22);
            x = T.Load(e + 3 * s + r);
            c03 = T.Fma(w0, x, c03); c13 = T.Fma(w1, x, c13); c23 = T.Fma(w2, x, c23);
        }
        T.Store(c00, p0); T.Store(c01, p0 + 8); T.Store(c02, p0 + 16); T.Store(c03, p0 + 24);
        T.Store(c10, p1); T.Store(c11, p1 + 8); T.Store(c12, p1 + 16); T.Store(c13, p1 + 24);
        T.Store(c20, p2); T.Store(c21, p2 + 8); T.Store(c22, p2 + 16); T.Store(c23, p2 + 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterRows2<T, TV>(double* w, double* e, double* p0, double* p1, int* runs, int runsLength) where T : ISimd<TV> where TV : struct
    {
        nint g = T.Count, s = PanelStride;
        TV c00 = T.Load(p0), c01 = T.Load(p0 + 8), c02 = T.Load(p0 + 16), c03 = T.Load(p0 + 24);
        TV c10 = T.Load(p1), c11 = T.Load(p1 + 8), c12 = T.Load(p1 + 16), c13 = T.Load(p1 + 24);
        for (int q = 0; q < runsLength; q += 2)
        for (nint r = g * runs[q], end = g * runs[q + 1]; r < end; r += g)
        {
            var w0 = T.Load(w + r);
            var w1 = T.Load(w + s + r);
            var x0 = T.Load(e + r);
            var x1 = T.Load(e + s + r);
            var x2 = T.Load(e + 2 * s + r);
            var x3 = T.Load(e + 3 * s + r);
            c00 = T.Fma(w0, x0, c00); c01 = T.Fma(w0, x1, c01); c02 = T.Fma(w0, x2, c02); c03 = T.Fma(w0, x3, c03);
            c10 = T.Fma(w1, x0, c10); c11 = T.Fma(w1, x1, c11); c12 = T.Fma(w1, x2, c12); c13 = T.Fma(w1, x3, c13);
        }
        T.Store(c00, p0); T.Store(c01, p0 + 8); T.Store(c02, p0 + 16); T.Store(c03, p0 + 24);
        T.Store(c10, p1); T.Store(c11, p1 + 8); T.Store(c12, p1 + 16); T.Store(c13, p1 + 24);
    }

    /// <summary>
    /// The outer product with 8 rows per vector (all 8 logical lanes in one register), 4×4 tiles: 16 accumulators + 4
    /// rows of w, 4 of x − μ and their 4 means of AVX-512's 32 registers; a diagonal tile computes its upper triangle
    /// only (<see cref="OuterProductDiagonalTile512"/>). x − μ is recomputed from the panel's x, not stored by the centring
    /// pass: the subtractions ride the add pipes (Zen 4/5) instead of a store and a load per value (the same
    /// subtraction of the same operands: the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OuterProductUpper512(double* wT, double* xT, double* mu, Vector512<double>* tiles, int* runs, int runsLength)
    {
        int t4 = _dp / 4;
        for (int ti = 0; ti < t4; ti++)
        {
            OuterProductDiagonalTile512(wT + 4 * ti * PanelStride, xT + 4 * ti * PanelStride, mu + 4 * ti, tiles, runs, runsLength);
            tiles += 16;
            for (int tj = ti + 1; tj < t4; tj++, tiles += 16)
            {
                var a00 = tiles[0]; var a01 = tiles[1]; var a02 = tiles[2]; var a03 = tiles[3];
                var a10 = tiles[4]; var a11 = tiles[5]; var a12 = tiles[6]; var a13 = tiles[7];
                var a20 = tiles[8]; var a21 = tiles[9]; var a22 = tiles[10]; var a23 = tiles[11];
                var a30 = tiles[12]; var a31 = tiles[13]; var a32 = tiles[14]; var a33 = tiles[15];
                double* w0 = wT + 4 * ti * PanelStride;
                double* x0 = xT + 4 * tj * PanelStride;
                var m0 = Vector512.Create(mu[4 * tj]);
                var m1 = Vector512.Create(mu[4 * tj + 1]);
                var m2 = Vector512.Create(mu[4 * tj + 2]);
                var m3 = Vector512.Create(mu[4 * tj + 3]);
                for (int q = 0; q < runsLength; q += 2)
                for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 8)
                {
                    var w_0 = Vector512.Load(w0 + r);
                    var w_1 = Vector512.Load(w0 + PanelStride + r);
                    var w_2 = Vector512.Load(w0 + 2 * PanelStride + r);
                    var w_3 = Vector512.Load(w0 + 3 * PanelStride + r);
                    var e_0 = Vector512.Load(x0 + r) - m0;
                    var e_1 = Vector512.Load(x0 + PanelStride + r) - m1;
                    var e_2 = Vector512.Load(x0 + 2 * PanelStride + r) - m2;
                    var e_3 = Vector512.Load(x0 + 3 * PanelStride + r) - m3;
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

    /// <summary>A diagonal tile of <see cref="OuterProductUpper512"/>: its upper triangle only (10 of 16 products; the others are never read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OuterProductDiagonalTile512(double* w0, double* x0, double* mu, Vector512<double>* tiles, int* runs, int runsLength)
    {
        var a00 = tiles[0]; var a01 = tiles[1]; var a02 = tiles[2]; var a03 = tiles[3];
        var a11 = tiles[5]; var a12 = tiles[6]; var a13 = tiles[7];
        var a22 = tiles[10]; var a23 = tiles[11];
        var a33 = tiles[15];
        var m0 = Vector512.Create(mu[0]);
        var m1 = Vector512.Create(mu[1]);
        var m2 = Vector512.Create(mu[2]);
        var m3 = Vector512.Create(mu[3]);
        for (int q = 0; q < runsLength; q += 2)
        for (int r = 8 * runs[q], end = 8 * runs[q + 1]; r < end; r += 8)
        {
            var w_0 = Vector512.Load(w0 + r);
            var w_1 = Vector512.Load(w0 + PanelStride + r);
            var w_2 = Vector512.Load(w0 + 2 * PanelStride + r);
            var w_3 = Vector512.Load(w0 + 3 * PanelStride + r);
            var e_0 = Vector512.Load(x0 + r) - m0;
            var e_1 = Vector512.Load(x0 + PanelStride + r) - m1;
            var e_2 = Vector512.Load(x0 + 2 * PanelStride + r) - m2;
            var e_3 = Vector512.Load(x0 + 3 * PanelStride + r) - m3;
            a00 = Vector512.FusedMultiplyAdd(w_0, e_0, a00); a01 = Vector512.FusedMultiplyAdd(w_0, e_1, a01);
            a02 = Vector512.FusedMultiplyAdd(w_0, e_2, a02); a03 = Vector512.FusedMultiplyAdd(w_0, e_3, a03);
            a11 = Vector512.FusedMultiplyAdd(w_1, e_1, a11); a12 = Vector512.FusedMultiplyAdd(w_1, e_2, a12);
            a13 = Vector512.FusedMultiplyAdd(w_1, e_3, a13);
            a22 = Vector512.FusedMultiplyAdd(w_2, e_2, a22); a23 = Vector512.FusedMultiplyAdd(w_2, e_3, a23);
            a33 = Vector512.FusedMultiplyAdd(w_3, e_3, a33);
        }
        tiles[0] = a00; tiles[1] = a01; tiles[2] = a02; tiles[3] = a03;
        tiles[5] = a11; tiles[6] = a12; tiles[7] = a13;
        tiles[10] = a22; tiles[11] = a23;
        tiles[15] = a33;
    }

    /// <summary>Triangular product, 512-bit: 32 rows (4 vectors) × 4 columns, 16 accumulators of AVX-512's 32 registers; x − μ as it loads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TriangularSquaredNorm512(double* xT, int stride, double* u, double* mu, double* q, double* bound)
    {
        int dp = _dp, d = _d;
        long work = 0;
        for (int rg = 0; rg < BlockRows; rg += 32)
            work += TriangularRows512(xT + rg, stride, u, mu, q + rg, bound == null ? null : bound + rg);
        int blocks = dp / 4;
        _triangularWork += (long)(BlockRows / 32) * blocks * (blocks + 1) / 2;
        _triangularWorkDone += work;
    }

    /// <returns>The column blocks' work done (as <see cref="TriangularRows3"/>), less than all when the rows were pruned.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TriangularRows512(double* xT, int stride, double* u, double* mu, double* q, double* bound)
    {
        int dp = _dp, d = _d;
        Vector512<double> q0 = default, q1 = default, q2 = default, q3 = default;
        for (int j0 = 0; j0 < dp; j0 += 4)
        {
            PrefetchStep();
            Vector512<double> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<double> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<double> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<double> a30 = default, a31 = default, a32 = default, a33 = default;
            double* x = xT;
            double* uu = u + j0;
            for (int i = 0; i <= j0; i++, x += stride, uu += dp)
            {
                LoadCentred(x, mu[i], out var x0, out var x1, out var x2, out var x3);
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
            // The rest of the diagonal block: U[j0 + a, j0 + b] is zero for b < a, so row j0 + a needs columns a..3
            // only (6 of its 16 products are exact zeros; skipping them changes no bits, as no accumulator is −0).
            // j0 < d always; rows past d do not exist (their U rows are padding).
            if (j0 + 1 < d)
            {
                LoadCentred(x, mu[j0 + 1], out var x0, out var x1, out var x2, out var x3);
                var u1 = Vector512.Create(uu[1]);
                var u2 = Vector512.Create(uu[2]);
                var u3 = Vector512.Create(uu[3]);
                a01 = Vector512.FusedMultiplyAdd(x0, u1, a01); a02 = Vector512.FusedMultiplyAdd(x0, u2, a02); a03 = Vector512.FusedMultiplyAdd(x0, u3, a03);
                a11 = Vector512.FusedMultiplyAdd(x1, u1, a11); a12 = Vector512.FusedMultiplyAdd(x1, u2, a12); a13 = Vector512.FusedMultiplyAdd(x1, u3, a13);
                a21 = Vector512.FusedMultiplyAdd(x2, u1, a21); a22 = Vector512.FusedMultiplyAdd(x2, u2, a22); a23 = Vector512.FusedMultiplyAdd(x2, u3, a23);
                a31 = Vector512.FusedMultiplyAdd(x3, u1, a31); a32 = Vector512.FusedMultiplyAdd(x3, u2, a32); a33 = Vector512.FusedMultiplyAdd(x3, u3, a33);
                x += stride; uu += dp;
            }
            if (j0 + 2 < d)
            {
                LoadCentred(x, mu[j0 + 2], out var x0, out var x1, out var x2, out var x3);
                var u2 = Vector512.Create(uu[2]);
                var u3 = Vector512.Create(uu[3]);
                a02 = Vector512.FusedMultiplyAdd(x0, u2, a02); a03 = Vector512.FusedMultiplyAdd(x0, u3, a03);
                a12 = Vector512.FusedMultiplyAdd(x1, u2, a12); a13 = Vector512.FusedMultiplyAdd(x1, u3, a13);
                a22 = Vector512.FusedMultiplyAdd(x2, u2, a22); a23 = Vector512.FusedMultiplyAdd(x2, u3, a23);
                a32 = Vector512.FusedMultiplyAdd(x3, u2, a32); a33 = Vector512.FusedMultiplyAdd(x3, u3, a33);
                x += stride; uu += dp;
            }
            if (j0 + 3 < d)
            {
                LoadCentred(x, mu[j0 + 3], out var x0, out var x1, out var x2, out var x3);
                var u3 = Vector512.Create(uu[3]);
                a03 = Vector512.FusedMultiplyAdd(x0, u3, a03);
                a13 = Vector512.FusedMultiplyAdd(x1, u3, a13);
                a23 = Vector512.FusedMultiplyAdd(x2, u3, a23);
                a33 = Vector512.FusedMultiplyAdd(x3, u3, a33);
            }
            q0 = SumSquares(q0, a00, a01, a02, a03);
            q1 = SumSquares(q1, a10, a11, a12, a13);
            q2 = SumSquares(q2, a20, a21, a22, a23);
            q3 = SumSquares(q3, a30, a31, a32, a33);
            // Pruning (see WeightedLogProbabilities): every row of the 32 is already past its bound.
            if (bound != null && Vector512.GreaterThanOrEqualAll(q0, Vector512.Load(bound))
                && Vector512.GreaterThanOrEqualAll(q1, Vector512.Load(bound + 8))
                && Vector512.GreaterThanOrEqualAll(q2, Vector512.Load(bound + 16))
                && Vector512.GreaterThanOrEqualAll(q3, Vector512.Load(bound + 24)))
            {
                var inf = Vector512.Create(double.PositiveInfinity);
                Vector512.Store(inf, q);
                Vector512.Store(inf, q + 8);
                Vector512.Store(inf, q + 16);
                Vector512.Store(inf, q + 24);
                return Work(j0);
            }
        }
        Vector512.Store(q0, q);
        Vector512.Store(q1, q + 8);
        Vector512.Store(q2, q + 16);
        Vector512.Store(q3, q + 24);
        return Work(dp - 4);
    }

    /// <summary>32 rows of one dimension (4 vectors from x), less its mean.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadCentred(double* x, double mu, out Vector512<double> x0, out Vector512<double> x1, out Vector512<double> x2, out Vector512<double> x3)
    {
        var m = Vector512.Create(mu);
        x0 = Vector512.Load(x) - m;
        x1 = Vector512.Load(x + 8) - m;
        x2 = Vector512.Load(x + 16) - m;
        x3 = Vector512.Load(x + 24) - m;
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
            n[c] = Fold4(_nLanes.AsSpan(c * 4, 4));
            s1[c] = new double[d];
            for (int i = 0; i < d; i++) s1[c][i] = Fold4(_s1Lanes.AsSpan((c * _dp + i) * 4, 4));
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
                for (int i = 0; i < d; i++) s2[c][i] = Fold4(_s2Lanes.AsSpan((c * _dp + i) * 4, 4));
            }
        }
        var stats = new SufficientStatistics(targetType, FullSecondMoments, _rows, Fold4(_llLanes), shift, n, s1, s2);
        Array.Clear(_nLanes);
        Array.Clear(_s1Lanes);
        Array.Clear(_s2Lanes);
        _s2Tiles.AsSpan().Clear();
        Array.Clear(_llLanes);
        _rows = 0;
        KernelMetrics.ReportMomentGroups(_momentGroups - _reportedGroups, _momentGroupsSkipped - _reportedSkipped);
        (_reportedGroups, _reportedSkipped) = (_momentGroups, _momentGroupsSkipped);
        long work = _triangularWork - _reportedWork, done = _triangularWorkDone - _reportedWorkDone;
        KernelMetrics.ReportTriangularWork(work, work - done);
        (_reportedWork, _reportedWorkDone) = (_triangularWork, _triangularWorkDone);
        return stats;
    }

    /// <summary>Fixed-order fold of an 8-lane slot: ((0+1)+(2+3)) + ((4+5)+(6+7)).</summary>
    private static double Fold8(ReadOnlySpan<double> v) => ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));

    /// <summary>Fixed-order fold of a 4-lane slot: (0+1)+(2+3).</summary>
    private static double Fold4(ReadOnlySpan<double> v) => (v[0] + v[1]) + (v[2] + v[3]);
}
