using System.Numerics.Tensors;
using System.Text.Json;
using DistGmm.Numerics;

namespace DistGmm.Data;

/// <summary>
/// A fitted preprocessing (the notebook's steps: missing values → log1p → categorical encoding → scaling) that
/// turns raw shard rows into the row-major float64 features the EM kernel reads. Fitted on training data only,
/// serialised to versioned JSON that travels inside model.json, applied identically at scoring.
/// </summary>
public sealed partial class Preprocessor
{
    public const string FormatName = "distgmm-preprocessor";
    public const int CurrentVersion = 1;
    private const int Block = 1024; // rows transformed per column pass: the temp column stays in L1

    private readonly Dictionary<string, int>?[] _categoryIndex;
    private readonly int[] _knnColumns; // for each KNN reference column, its index in Columns

    private Preprocessor(PreprocessingSpec spec, IReadOnlyList<FittedColumn> columns, KnnReference? knn, PreprocessorReport report)
    {
        Spec = spec;
        Columns = columns;
        Knn = knn;
        Report = report;
        FeatureNames = columns.SelectMany(c => c.Kind == FeatureKind.OneHot
            ? c.Categories!.Select(v => $"{c.Name}={v}")
            : [c.Name]).ToList();
        OutputDimension = FeatureNames.Count;
        _categoryIndex = columns.Select(c => c.Categories is null
            ? null
            : c.Categories.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal)).ToArray();
        _knnColumns = knn is null ? [] : knn.Columns.Select(n => columns.ToList().FindIndex(c => c.Name == n)).ToArray();
    }

    public PreprocessingSpec Spec { get; }

    /// <summary>The input columns used, in output order, with their fitted statistics.</summary>
    public IReadOnlyList<FittedColumn> Columns { get; }

    public KnnReference? Knn { get; }

    /// <summary>Names of the output features (one-hot outputs are named <c>column=value</c>).</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    public int OutputDimension { get; }

    public PreprocessorReport Report { get; }

    // ---------------------------------------------------------------- transform

    /// <summary>The rows of <paramref name="batch"/> kept (label filter; complete rows under DropRows), in order.</summary>
    public int[] SelectRows(ColumnBatch batch, Func<string?, bool>? rowFilterByLabel, out long droppedForMissing) =>
        KeptRows(batch, MapColumns(batch), rowFilterByLabel, Spec.Missing == MissingStrategy.DropRows, out droppedForMissing);

    /// <summary>
    /// As <see cref="SelectRows"/>, for scoring: also leaves out the rows the fitted transform cannot turn into finite
    /// features (<see cref="UnscorableReason"/>: a value outside log1p's domain, an infinite one, a category the label
    /// encoding never saw), counted in <paramref name="untransformable"/>, so that one such row does not fail the batch.
    /// The rows a preprocessor was fitted on are all transformable, so training on them keeps every row.
    /// </summary>
    public int[] SelectScorableRows(ColumnBatch batch, Func<string?, bool>? rowFilterByLabel, out long droppedForMissing,
        out long untransformable)
    {
        var map = MapColumns(batch);
        var kept = KeptRows(batch, map, rowFilterByLabel, Spec.Missing == MissingStrategy.DropRows, out droppedForMissing);
        untransformable = 0;
        if (Untransformable(batch, map, kept) is not { } bad) return kept;
        var count = 0;
        foreach (var r in kept)
            if (!bad[r]) kept[count++] = r;
        untransformable = kept.Length - count;
        return kept.AsSpan(0, count).ToArray();
    }

    /// <summary>
    /// Which of <paramref name="rows"/> cannot be transformed (indexed by batch row; null when all can). A numeric column
    /// is checked row by row only when its batch extremes fail: log1p and scaling are monotonic, so finite features at
    /// the smallest and largest value mean finite features for every value between.
    /// </summary>
    private bool[]? Untransformable(ColumnBatch batch, int[] map, int[] rows)
    {
        bool[]? bad = null;
        for (var c = 0; c < Columns.Count; c++)
        {
            var fitted = Columns[c];
            if (fitted.Kind == FeatureKind.Numeric)
            {
                var numbers = batch.Numbers[map[c]]!.AsSpan(0, batch.Count);
                if (numbers.IsEmpty) continue;
                var (lo, hi) = PresentRange(numbers);
                if (double.IsNaN(lo) || (IsFinite(fitted, lo) && IsFinite(fitted, hi))) continue; // NaN: all missing
                foreach (var r in rows)
                    if (!double.IsNaN(numbers[r]) && !IsFinite(fitted, numbers[r])) (bad ??= new bool[batch.Count])[r] = true;
            }
            else if (fitted.Kind == FeatureKind.LabelCode)
            {
                var texts = batch.Texts[map[c]]!;
                var index = _categoryIndex[c]!;
                string? last = null;
                var lastSeen = true;
                foreach (var r in rows)
                {
                    var text = texts[r] ?? fitted.ImputeCategory;
                    if (text is null) continue; // missing without imputation: KeptRows dropped it
                    // The readers share one string per distinct value: a run of one value is looked up once.
                    if (!ReferenceEquals(text, last)) (last, lastSeen) = (text, index.ContainsKey(text));
                    if (!lastSeen) (bad ??= new bool[batch.Count])[r] = true;
                }
            }
        }
        return bad;
    }

    /// <summary>The smallest and largest present (non-NaN) value; NaN when none is.</summary>
    private static (double Lo, double Hi) PresentRange(ReadOnlySpan<double> values)
    {
        // SIMD when nothing is missing (Min and Max return NaN if any value is; so, as measured, does MinNumber).
        double lo = TensorPrimitives.Min(values), hi = TensorPrimitives.Max(values);
        if (!double.IsNaN(lo) && !double.IsNaN(hi)) return (lo, hi);
        (lo, hi) = (double.PositiveInfinity, double.NegativeInfinity);
        foreach (var v in values)
        {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        return lo <= hi ? (lo, hi) : (double.NaN, double.NaN);
    }

    /// <summary>Whether a present value of a numeric column becomes a finite feature (as Transform computes it).</summary>
    private static bool IsFinite(FittedColumn fitted, double x)
    {
        if (fitted.Log1p) x = x > -1 ? LogOnePlus(x) : double.NaN;
        return double.IsFinite(fitted.Scaling switch
        {
            Scaling.MinMax => x * fitted.Scale + fitted.Offset,
            Scaling.Standard or Scaling.ModeCentred => (x - fitted.Center) / fitted.Divisor,
            _ => x,
        });
    }

    /// <summary>
    /// Why the fitted transform cannot score row <paramref name="row"/> (naming the column and the value's problem), or
    /// null when it can; missing values are <see cref="DropReason"/>'s.
    /// </summary>
    public string? UnscorableReason(ColumnBatch batch, int row) => UnscorableReason(batch, MapColumns(batch), row);

    private string? UnscorableReason(ColumnBatch batch, int[] map, int row)
    {
        for (var c = 0; c < Columns.Count; c++)
        {
            var fitted = Columns[c];
            if (fitted.Kind == FeatureKind.Numeric)
            {
                var x = batch.Numbers[map[c]]![row];
                if (double.IsNaN(x) || IsFinite(fitted, x)) continue;
                return double.IsInfinity(x) ? $"infinite value in column '{fitted.Name}'"
                    : fitted.Log1p && !(x > -1) ? $"value ≤ -1 in column '{fitted.Name}', outside log1p's domain"
                    : $"value in column '{fitted.Name}' too large to scale";
            }
            if (fitted.Kind == FeatureKind.LabelCode && (batch.Texts[map[c]]![row] ?? fitted.ImputeCategory) is { } text
                && !_categoryIndex[c]!.ContainsKey(text))
                return $"category not seen in training in label-encoded column '{fitted.Name}'";
        }
        return null;
    }

    /// <summary>
    /// The rows the label filter keeps, less (with <paramref name="dropMissing"/>) those with a missing value in one of
    /// <paramref name="columns"/>, counted in <paramref name="droppedForMissing"/>. Column by column: each column's array
    /// is read once in order, and a numeric column whose SIMD sum is not NaN has no NaN to look for.
    /// </summary>
    internal static int[] KeptRows(ColumnBatch batch, ReadOnlySpan<int> columns, Func<string?, bool>? filter, bool dropMissing,
        out long droppedForMissing)
    {
        var n = batch.Count;
        bool[]? missing = null;
        if (dropMissing)
            foreach (var c in columns)
            {
                if (batch.Numbers[c] is { } numbers)
                {
                    if (!double.IsNaN(TensorPrimitives.Sum(numbers.AsSpan(0, n)))) continue;
                    missing ??= new bool[n];
                    for (var r = 0; r < n; r++) missing[r] |= double.IsNaN(numbers[r]);
                }
                else
                {
                    var texts = batch.Texts[c]!;
                    for (var r = 0; r < n; r++)
                        if (texts[r] is null) (missing ??= new bool[n])[r] = true;
                }
            }
        var labels = batch.Labels;
        var kept = new int[n];
        var count = 0;
        droppedForMissing = 0;
        for (var r = 0; r < n; r++)
        {
            if (filter is not null && !filter(labels?[r])) continue;
            if (missing is not null && missing[r]) { droppedForMissing++; continue; }
            kept[count++] = r;
        }
        return count == n ? kept : kept.AsSpan(0, count).ToArray();
    }

    /// <summary>Transforms the chosen rows straight into a new row-major feature matrix.</summary>
    public DataMatrix Transform(ColumnBatch batch, ReadOnlySpan<int> rows)
    {
        var values = new double[checked(rows.Length * OutputDimension)];
        Transform(batch, rows, values);
        return new DataMatrix(values, rows.Length, OutputDimension);
    }

    /// <summary>
    /// Transforms the chosen rows into <paramref name="destination"/> (row-major, <see cref="OutputDimension"/>
    /// values per row), block by block and column by column with SIMD scaling; no allocation per row.
    /// </summary>
    public void Transform(ColumnBatch batch, ReadOnlySpan<int> rows, Span<double> destination)
    {
        if (destination.Length < rows.Length * OutputDimension)
            throw new ArgumentException("destination is smaller than rows × OutputDimension", nameof(destination));
        var map = MapColumns(batch);
        var counters = new TransformCounters();
        var knnImputed = ImputeKnn(batch, map, rows, ref counters);
        Span<double> column = stackalloc double[Block];
        var d = OutputDimension;
        for (var start = 0; start < rows.Length; start += Block)
        {
            var blockRows = rows.Slice(start, Math.Min(Block, rows.Length - start));
            var output = destination.Slice(start * d, blockRows.Length * d);
            for (var c = 0; c < Columns.Count; c++)
            {
                var fitted = Columns[c];
                if (fitted.Kind == FeatureKind.OneHot)
                {
                    WriteOneHot(c, batch.Texts[map[c]]!, blockRows, output, d, ref counters);
                    continue;
                }
                var values = column[..blockRows.Length];
                FillPreScale(c, batch, map[c], blockRows, start, knnImputed, values, ref counters);
                ApplyScaling(fitted, values);
                for (var i = 0; i < values.Length; i++) output[i * d + fitted.OutputOffset] = values[i];
            }
        }
        Report.RecordTransform(0, counters.Imputed, counters.Unseen);
    }

    private static void ApplyScaling(FittedColumn fitted, Span<double> values)
    {
        switch (fitted.Scaling)
        {
            case Scaling.MinMax: // X *= scale_; X += min_ exactly as scikit-learn does (two roundings, no FMA)
                TensorPrimitives.Multiply(values, fitted.Scale, values);
                TensorPrimitives.Add(values, fitted.Offset, values);
                break;
            case Scaling.Standard or Scaling.ModeCentred:
                TensorPrimitives.Subtract(values, fitted.Center, values);
                TensorPrimitives.Divide(values, fitted.Divisor, values);
                break;
        }
    }

    /// <summary>Imputed, log1p'd, label-encoded values of one column for the given rows (before scaling).</summary>
    private void FillPreScale(int c, ColumnBatch batch, int source, ReadOnlySpan<int> rows, int rowsStart,
        double[][]? knnImputed, Span<double> values, ref TransformCounters counters)
    {
        var fitted = Columns[c];
        if (fitted.Kind == FeatureKind.Numeric)
        {
            var numbers = batch.Numbers[source]!;
            var knnSlot = knnImputed is null ? -1 : Array.IndexOf(_knnColumns, c);
            for (var i = 0; i < rows.Length; i++)
            {
                var v = numbers[rows[i]];
                if (double.IsNaN(v))
                {
                    v = knnSlot >= 0 ? knnImputed![rowsStart + i][knnSlot] : fitted.ImputeNumber;
                    if (double.IsNaN(v)) throw MissingWithoutImputation(fitted, batch, rows[i]);
                    counters.Imputed++;
                }
                values[i] = v;
            }
            if (fitted.Log1p) Log1p(fitted, batch, rows, values);
            return;
        }
        var texts = batch.Texts[source]!;
        var index = _categoryIndex[c]!;
        for (var i = 0; i < rows.Length; i++) values[i] = Code(fitted, index, texts[rows[i]], batch, rows[i], ref counters);
    }

    private static double Code(FittedColumn fitted, Dictionary<string, int> index, string? text, ColumnBatch batch, int row,
        ref TransformCounters counters)
    {
        if (text is null)
        {
            text = fitted.ImputeCategory ?? throw MissingWithoutImputation(fitted, batch, row);
            counters.Imputed++;
        }
        if (index.TryGetValue(text, out var code)) return code;
        counters.AddUnseen(fitted.Name, text);
        return fitted.Categories!.Count; // the reserved code
    }

    private void WriteOneHot(int c, string?[] texts, ReadOnlySpan<int> rows, Span<double> output, int d,
        ref TransformCounters counters)
    {
        var fitted = Columns[c];
        var index = _categoryIndex[c]!;
        for (var i = 0; i < rows.Length; i++)
        {
            var slots = output.Slice(i * d + fitted.OutputOffset, fitted.OutputWidth);
            slots.Clear();
            var text = texts[rows[i]];
            if (text is null)
            {
                text = fitted.ImputeCategory;
                if (text is null) continue; // DropRows already removed such rows
                counters.Imputed++;
            }
            if (index.TryGetValue(text, out var code)) slots[code] = 1;
            else counters.AddUnseen(fitted.Name, text); // all zeros
        }
    }

    private static void Log1p(FittedColumn fitted, ColumnBatch batch, ReadOnlySpan<int> rows, Span<double> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var x = values[i];
            // log1p(-1) is -∞: no finite feature, so -1 is outside the domain too (as numpy's -inf fails sklearn's scalers).
            if (!(x > -1))
                throw DataFormatException.AtRow(fitted.Name, batch.RowIds[rows[i]],
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{x} is outside log1p's domain (it needs values > -1)"));
            values[i] = LogOnePlus(x);
        }
    }

    /// <summary>log(1 + x), accurate for tiny x (Goldberg's correction), finite for every finite x ≥ -1.</summary>
    internal static double LogOnePlus(double x)
    {
        var u = 1.0 + x;
        if (u == 1.0) return x;
        var scaled = Math.Log(u) * x;
        // Past ~1e305, log(u)·x overflows though log1p(x) (≤ 710) does not; there u − 1 == x, so the correction is 1.
        // Elsewhere the same operations in the same order as always: the same bits.
        return double.IsInfinity(scaled) && double.IsFinite(x) ? Math.Log(u) : scaled / (u - 1.0);
    }

    private static DataFormatException MissingWithoutImputation(FittedColumn fitted, ColumnBatch batch, int row) =>
        DataFormatException.AtRow(fitted.Name, batch.RowIds[row], "missing value and nothing to impute it with");

    private int[] MapColumns(ColumnBatch batch)
    {
        var map = new int[Columns.Count];
        for (var c = 0; c < Columns.Count; c++)
        {
            map[c] = batch.IndexOf(Columns[c].Name);
            if (map[c] < 0)
                throw new ArgumentException($"the data has no column '{Columns[c].Name}' that the preprocessor was fitted on");
            var isNumeric = batch.Numbers[map[c]] is not null;
            if (isNumeric != (Columns[c].Kind == FeatureKind.Numeric))
                throw new ArgumentException($"column '{Columns[c].Name}' is {(isNumeric ? "numeric" : "text")} here but was not at fit time");
        }
        return map;
    }

    /// <summary>
    /// Why <see cref="SelectScorableRows"/> leaves out a row without a label filter ("missing value in column 'x'" under
    /// drop-rows, else <see cref="UnscorableReason"/>), or null when the row is transformed.
    /// </summary>
    public string? DropReason(ColumnBatch batch, int row)
    {
        var map = MapColumns(batch);
        if (Spec.Missing == MissingStrategy.DropRows)
            for (var c = 0; c < map.Length; c++)
            {
                var i = map[c];
                if (batch.Numbers[i] is { } numbers ? double.IsNaN(numbers[row]) : batch.Texts[i]![row] is null)
                    return $"missing value in column '{Columns[c].Name}'";
            }
        return UnscorableReason(batch, map, row);
    }

    // ---------------------------------------------------------------- KNN imputation

    /// <summary>For each chosen row with a missing numeric value, the KNN-imputed values of the reference columns.</summary>
    private double[][]? ImputeKnn(ColumnBatch batch, int[] map, ReadOnlySpan<int> rows, ref TransformCounters counters)
    {
        if (Knn is null) return null;
        double[][]? result = null;
        var query = new double[_knnColumns.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var anyMissing = false;
            for (var j = 0; j < _knnColumns.Length; j++)
            {
                query[j] = batch.Numbers[map[_knnColumns[j]]]![rows[i]];
                anyMissing |= double.IsNaN(query[j]);
            }
            if (!anyMissing) continue;
            result ??= new double[rows.Length][];
            result[i] = KnnImpute(Knn, query, Spec.KnnNeighbors);
        }
        return result;
    }

    /// <summary>
    /// Neighbours: the k reference rows nearest in range-normalised Euclidean distance over the query's present
    /// columns (ties → lower reference index); a missing value becomes the neighbours' mean, summed nearest first.
    /// </summary>
    internal static double[] KnnImpute(KnnReference reference, ReadOnlySpan<double> query, int k)
    {
        k = Math.Min(k, reference.Rows.Length);
        Span<double> bestDistance = k <= 128 ? stackalloc double[k] : new double[k];
        Span<int> bestIndex = k <= 128 ? stackalloc int[k] : new int[k];
        var found = 0;
        for (var r = 0; r < reference.Rows.Length; r++)
        {
            var row = reference.Rows[r];
            var distance = 0.0;
            for (var j = 0; j < query.Length; j++)
            {
                if (double.IsNaN(query[j])) continue;
                var delta = (query[j] - row[j]) / reference.Ranges[j];
                distance += delta * delta;
            }
            if (found == k && distance >= bestDistance[k - 1]) continue;
            var at = found < k ? found++ : k - 1;
            while (at > 0 && bestDistance[at - 1] > distance) // strict: an equal distance keeps the lower index first
            {
                bestDistance[at] = bestDistance[at - 1];
                bestIndex[at] = bestIndex[at - 1];
                at--;
            }
            bestDistance[at] = distance;
            bestIndex[at] = r;
        }
        var imputed = query.ToArray();
        for (var j = 0; j < imputed.Length; j++)
        {
            if (!double.IsNaN(imputed[j])) continue;
            var sum = 0.0;
            for (var n = 0; n < found; n++) sum += reference.Rows[bestIndex[n]][j];
            imputed[j] = sum / found;
        }
        return imputed;
    }

    private struct TransformCounters
    {
        public long Imputed;
        public Dictionary<(string Column, string Value), long>? Unseen;

        public void AddUnseen(string column, string value)
        {
            Unseen ??= [];
            Unseen[(column, value)] = Unseen.GetValueOrDefault((column, value)) + 1;
        }
    }
}
