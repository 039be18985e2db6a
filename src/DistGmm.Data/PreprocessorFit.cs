using System.Text.Json;

namespace DistGmm.Data;

public sealed partial class Preprocessor
{
    private const int MissingMatrixMaxBins = 200;
    private const double MachineEpsilon = 2.220446049250313e-16; // numpy finfo(float64).eps

    /// <summary>Fits on a dataset's shards (streaming, shard by shard, three passes), rows chosen by label; each shard's
    /// SHA-256 is checked against the manifest as it is read unless <paramref name="verifyShards"/> is false.</summary>
    public static Preprocessor Fit(string datasetDir, PreprocessingSpec spec, Func<string?, bool>? rowFilterByLabel = null, bool verifyShards = true)
    {
        var manifest = DatasetManifest.Load(datasetDir);
        var columns = manifest.DataColumns;
        // Each pass reads only the columns it needs (projection: dropped columns are never decoded), the next shard
        // while this one is summarised (the same batches in the same order, so the same fit).
        IEnumerable<ColumnBatch> Shards(IReadOnlyList<ColumnInfo> needed)
        {
            for (var s = 0; s < manifest.Shards.Count; s++) yield return ShardFiles.Read(manifest, s, needed, verifyShards);
        }
        try
        {
            return Fit(needed => ReadAhead(Shards(needed)), columns, spec, rowFilterByLabel);
        }
        catch (DataFormatException e) when (e.RowId is not null)
        {
            throw e.InSource(manifest.Source.Length > 0 ? manifest.Source : datasetDir); // the row in the user's input
        }
    }

    /// <summary>
    /// <paramref name="source"/>'s items in order, each produced on another thread while the caller works on the one
    /// before (decoding a shard and summarising one take comparable time). Never two reads at once.
    /// </summary>
    internal static IEnumerable<T> ReadAhead<T>(IEnumerable<T> source)
    {
        var items = source.GetEnumerator();
        var next = Task.Run(items.MoveNext);
        try
        {
            while (next.GetAwaiter().GetResult())
            {
                var current = items.Current;
                next = Task.Run(items.MoveNext);
                yield return current;
            }
        }
        finally
        {
            // A caller that stops early (or a failed read) leaves the read in flight to end before the source is disposed.
            try { next.Wait(); }
            catch (AggregateException) { }
            items.Dispose();
        }
    }

    /// <summary>Fits on batches that <paramref name="batches"/> enumerates afresh for each pass (in the same order).</summary>
    public static Preprocessor Fit(Func<IEnumerable<ColumnBatch>> batches, IReadOnlyList<ColumnInfo> columns,
        PreprocessingSpec spec, Func<string?, bool>? rowFilterByLabel = null) =>
        Fit(_ => batches(), columns, spec, rowFilterByLabel);

    private static Preprocessor Fit(Func<IReadOnlyList<ColumnInfo>, IEnumerable<ColumnBatch>> readColumns,
        IReadOnlyList<ColumnInfo> columns, PreprocessingSpec spec, Func<string?, bool>? rowFilterByLabel)
    {
        spec.Validate();
        var features = columns.Where(c => c.Role is ColumnRole.Numeric or ColumnRole.Categorical).ToList();
        var unknown = (spec.DropColumns ?? []).Concat(spec.Log1pColumns ?? []).Where(n => features.All(c => c.Name != n)).ToList();
        if (unknown.Count > 0)
            // The data does not fit the preprocessing: unusable input (exit 3), not a wrong command line.
            throw DataFormatException.Verbatim(spec.Name,
                $"preprocessing '{spec.Name}' names columns the data does not have: {string.Join(", ", unknown)} " +
                $"(feature columns: {string.Join(", ", features.Select(c => c.Name))})");
        var nonNumericLog = (spec.Log1pColumns ?? []).Where(n => features.First(c => c.Name == n).Role != ColumnRole.Numeric).ToList();
        if (nonNumericLog.Count > 0)
            throw DataFormatException.Verbatim(spec.Name, $"log1p needs numeric columns; not numeric: {string.Join(", ", nonNumericLog)}");

        var label = columns.Where(c => c.Role == ColumnRole.Label).ToList();
        var dropped = (spec.DropColumns ?? []).Select(n => new DroppedColumn(n, DroppedColumn.BySpec)).ToList();
        var candidates = features.Where(c => !(spec.DropColumns ?? []).Contains(c.Name)).ToList();
        // Pass 1: missing values per column (and the matrix picture) over the rows the label filter keeps.
        // Pass 2: imputation statistics and category maps over the rows kept.
        // Unless columns are dropped for their missing values, pass 2's columns are known up front and both passes
        // share one read of the data.
        var pass1 = new MissingCounter(features, rowFilterByLabel, spec.MaxCategories);
        IEnumerable<ColumnBatch> batches() => readColumns([.. candidates, .. label]);
        Preprocessor interim;
        long fitRows, fitDropped;
        if (spec.DropColumnsMissingAbove is null && spec.MaxCategories is null)
        {
            if (candidates.Count == 0) throw DataFormatException.Verbatim(spec.Name, $"preprocessing '{spec.Name}' leaves no feature columns");
            interim = ImputationPass(() => readColumns([.. features, .. label]).Select(pass1.Add), candidates, spec, rowFilterByLabel,
                out fitRows, out fitDropped);
        }
        else
        {
            foreach (var batch in readColumns([.. features, .. label])) pass1.Add(batch);
            if (pass1.Rows > 0 && spec.DropColumnsMissingAbove is { } threshold)
            {
                foreach (var column in candidates.ToList())
                {
                    var fraction = (double)pass1.Missing[features.IndexOf(column)] / pass1.Rows;
                    if (fraction <= threshold) continue;
                    candidates.Remove(column);
                    dropped.Add(new DroppedColumn(column.Name, $"{fraction:P2} missing > {threshold:P2}"));
                }
            }
            if (spec.MaxCategories is { } most)
                foreach (var column in candidates.ToList())
                {
                    if (!pass1.TooManyCategories(features.IndexOf(column))) continue;
                    candidates.Remove(column);
                    dropped.Add(new DroppedColumn(column.Name,
                        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"more than {most:N0} categories (an address, a time or an id, not a feature)")));
                }
            if (candidates.Count == 0) throw DataFormatException.Verbatim(spec.Name, $"preprocessing '{spec.Name}' leaves no feature columns");
            interim = ImputationPass(batches, candidates, spec, rowFilterByLabel, out fitRows, out fitDropped);
        }

        RequireFittableWidth(spec, interim.Columns);
        // Pass 3: scaling statistics of the imputed, log1p'd, encoded values.
        var fitted = ScalingPass(batches, interim, spec, rowFilterByLabel);

        var report = new PreprocessorReport
        {
            FitRows = fitRows + fitDropped,
            FitRowsDropped = fitDropped,
            Missing = features.Select((c, i) => new MissingColumnReport(c.Name, pass1.Missing[i],
                pass1.Rows == 0 ? 0 : (double)pass1.Missing[i] / pass1.Rows)).ToList(),
            MissingMatrix = pass1.Matrix(),
            DroppedColumns = dropped,
            ConstantColumns = fitted.Where(c => c.Constant).Select(c => c.Name).ToList(),
        };
        return new Preprocessor(spec, fitted, interim.Knn, report);
    }

    /// <summary>Missing values per column over the rows the label filter keeps, and per bin of rows (the matrix picture).</summary>
    private sealed class MissingCounter(List<ColumnInfo> features, Func<string?, bool>? filter, int? maxCategories = null)
    {
        // Distinct values of each categorical column, each set growing only until it passes maxCategories.
        private readonly HashSet<string>?[] _distinct = features
            .Select(c => maxCategories is not null && c.Role == ColumnRole.Categorical ? new HashSet<string>(StringComparer.Ordinal) : null)
            .ToArray();

        public bool TooManyCategories(int column) => _distinct[column] is { } seen && seen.Count > maxCategories;

        private readonly List<long[]> _binMissing = [];
        private readonly List<long> _binRows = [];
        // Bins are sized from the first batch onwards so the pass stays single: 200 bins over an unknown total is
        // reached by doubling the bin size (merging neighbours) whenever the bins run out.
        private long _rowsPerBin = 1;

        public long Rows { get; private set; }

        public long[] Missing { get; } = new long[features.Count];

        /// <summary>Counts one batch (returned, to pass it on).</summary>
        public ColumnBatch Add(ColumnBatch batch)
        {
            var map = features.Select(c => batch.IndexOf(c.Name)).ToArray();
            var kept = KeptRows(batch, [], filter, dropMissing: false, out _);
            // Segment by segment of rows that fall in one bin, column by column within it: the bins fill (and merge) at
            // exactly the rows they did one row at a time.
            for (var at = 0; at < kept.Length;)
            {
                var bin = (int)(Rows / _rowsPerBin);
                if (bin >= MissingMatrixMaxBins)
                {
                    MergeBins(_binMissing, _binRows);
                    _rowsPerBin *= 2;
                    continue;
                }
                if (bin == _binRows.Count) { _binMissing.Add(new long[features.Count]); _binRows.Add(0); }
                var take = (int)Math.Min(kept.Length - at, (bin + 1) * _rowsPerBin - Rows);
                var segment = kept.AsSpan(at, take);
                _binRows[bin] += take;
                for (var c = 0; c < map.Length; c++)
                {
                    var count = CountMissing(batch, map[c], segment);
                    Missing[c] += count;
                    _binMissing[bin][c] += count;
                }
                Rows += take;
                at += take;
            }
            for (var c = 0; c < map.Length; c++)
            {
                if (_distinct[c] is not { } seen || seen.Count > maxCategories) continue;
                var texts = batch.Texts[map[c]]!;
                foreach (var r in kept)
                    if (texts[r] is { } value && seen.Add(value) && seen.Count > maxCategories) break;
            }
            return batch;
        }

        public MissingMatrix Matrix()
        {
            var fractions = new double[_binRows.Count * features.Count];
            for (var b = 0; b < _binRows.Count; b++)
                for (var c = 0; c < features.Count; c++)
                    fractions[b * features.Count + c] = (double)_binMissing[b][c] / _binRows[b];
            return new MissingMatrix(features.Select(c => c.Name).ToList(), _rowsPerBin, _binRows.Count, fractions);
        }
    }

    private static long CountMissing(ColumnBatch batch, int column, ReadOnlySpan<int> rows)
    {
        long count = 0;
        if (batch.Numbers[column] is { } numbers)
        {
            // Without a label filter the rows are a contiguous run: a SIMD sum that is not NaN means no NaN in it.
            if (rows.Length > 0 && rows[^1] - rows[0] == rows.Length - 1 &&
                !double.IsNaN(System.Numerics.Tensors.TensorPrimitives.Sum(numbers.AsSpan(rows[0], rows.Length))))
                return 0;
            foreach (var r in rows)
                if (double.IsNaN(numbers[r])) count++;
        }
        else
        {
            var texts = batch.Texts[column]!;
            foreach (var r in rows)
                if (texts[r] is null) count++;
        }
        return count;
    }

    private static void MergeBins(List<long[]> binMissing, List<long> binRows)
    {
        for (var b = 0; b < binRows.Count / 2; b++)
        {
            binRows[b] = binRows[2 * b] + binRows[2 * b + 1];
            binMissing[b] = binMissing[2 * b].Zip(binMissing[2 * b + 1], (x, y) => x + y).ToArray();
        }
        binRows.RemoveRange(binRows.Count / 2, binRows.Count - binRows.Count / 2);
        binMissing.RemoveRange(binMissing.Count / 2, binMissing.Count - binMissing.Count / 2);
    }

    private static Preprocessor ImputationPass(Func<IEnumerable<ColumnBatch>> batches, List<ColumnInfo> used,
        PreprocessingSpec spec, Func<string?, bool>? filter, out long keptRows, out long droppedRows)
    {
        var needCounts = spec.Missing is MissingStrategy.Median or MissingStrategy.Mode;
        var sums = new OverflowSafeSum[used.Count];
        var largest = new double[used.Count]; // the largest magnitude of each numeric column
        var smallest = Enumerable.Repeat(double.PositiveInfinity, used.Count).ToArray(); // the smallest value
        var present = new long[used.Count];
        var valueCounts = used.Select(c => c.Role == ColumnRole.Numeric && needCounts ? new Dictionary<double, long>() : null).ToArray();
        var categoryCounts = used.Select(c => c.Role == ColumnRole.Categorical ? new Dictionary<string, long>(StringComparer.Ordinal) : null).ToArray();
        var numericUsed = used.Where(c => c.Role == ColumnRole.Numeric).ToList();
        var reservoir = new List<double[]>();
        var random = new SplitMix64(spec.Seed);
        long completeSeen = 0;
        keptRows = 0;
        droppedRows = 0;
        foreach (var batch in batches())
        {
            var map = used.Select(c => batch.IndexOf(c.Name)).ToArray();
            var rows = KeptRows(batch, map, filter, spec.Missing == MissingStrategy.DropRows, out var droppedHere);
            droppedRows += droppedHere;
            keptRows += rows.Length;
            // Column by column, rows in order: each sum adds the very same values in the same order as row by row would.
            for (var c = 0; c < used.Count; c++)
            {
                if (batch.Numbers[map[c]] is { } numbers)
                {
                    var counts = valueCounts[c];
                    var sum = sums[c].Running;
                    var magnitude = largest[c];
                    var least = smallest[c];
                    foreach (var r in rows)
                    {
                        var v = numbers[r];
                        if (double.IsNaN(v)) continue;
                        sum += v;
                        present[c]++;
                        if (Math.Abs(v) > magnitude) magnitude = Math.Abs(v);
                        if (v < least) least = v;
                        if (counts is not null) counts[v] = counts.GetValueOrDefault(v) + 1;
                    }
                    sums[c].Commit(sum, numbers, rows);
                    largest[c] = magnitude;
                    smallest[c] = least;
                }
                else CountCategories(batch.Texts[map[c]]!, rows, categoryCounts[c]!);
            }
            if (spec.Missing != MissingStrategy.Knn) continue;
            foreach (var r in rows)
            {
                var numericComplete = true;
                for (var c = 0; c < used.Count && numericComplete; c++)
                    if (batch.Numbers[map[c]] is { } numbers && double.IsNaN(numbers[r])) numericComplete = false;
                if (!numericComplete) continue;
                // Reservoir sampling (Algorithm R): a seeded uniform sample of the complete rows.
                var slot = completeSeen < spec.KnnReferenceRows ? completeSeen : (long)Math.BigMul(random.Next(), (ulong)(completeSeen + 1), out _);
                completeSeen++;
                if (slot >= spec.KnnReferenceRows) continue;
                var row = numericUsed.Select(c => batch.Numbers[map[used.IndexOf(c)]]![r]).ToArray();
                if (slot == reservoir.Count) reservoir.Add(row);
                else reservoir[(int)slot] = row;
            }
        }

        KnnReference? knn = null;
        if (spec.Missing == MissingStrategy.Knn && numericUsed.Count > 0)
        {
            if (reservoir.Count == 0) throw DataFormatException.Verbatim("knn", "KNN imputation needs complete rows to search, and the data has none");
            var ranges = numericUsed.Select((_, j) =>
            {
                var range = reservoir.Max(row => row[j]) - reservoir.Min(row => row[j]);
                return range > 0 ? range : 1.0;
            }).ToArray();
            knn = new KnnReference(numericUsed.Select(c => c.Name).ToList(), ranges, [.. reservoir]);
        }

        var log1p = (spec.Log1pColumns ?? []).ToHashSet();
        if (spec.Log1pNonNegative)
            for (var c = 0; c < used.Count; c++)
                if (used[c].Role == ColumnRole.Numeric && smallest[c] >= 0 && largest[c] > 1) log1p.Add(used[c].Name);
        var tooLarge = new List<(string Column, double Largest)>();
        var fitted = new List<FittedColumn>();
        for (var c = 0; c < used.Count; c++)
        {
            var column = used[c];
            if (column.Role == ColumnRole.Numeric)
            {
                var impute = spec.Missing switch
                {
                    MissingStrategy.Mean => present[c] > 0 ? sums[c].Mean(present[c]) : throw NothingToImpute(column),
                    MissingStrategy.Median => Median(valueCounts[c]!, present[c]) ?? throw NothingToImpute(column),
                    MissingStrategy.Mode => Mode(valueCounts[c]!) ?? throw NothingToImpute(column),
                    _ => double.NaN,
                };
                // Unscaled, the values are the features (imputed ones lie among them); log1p'd ones stay within ±745.
                if (spec.Scaling == Scaling.None && !log1p.Contains(column.Name)) tooLarge.Add((column.Name, largest[c]));
                fitted.Add(new FittedColumn { Name = column.Name, Kind = FeatureKind.Numeric, ImputeNumber = impute, Log1p = log1p.Contains(column.Name) });
            }
            else
            {
                var counts = categoryCounts[c]!;
                var categories = counts.Keys.Order(StringComparer.Ordinal).ToList();
                string? impute = null;
                if (spec.Missing != MissingStrategy.DropRows)
                    impute = categories.Count > 0 ? categories.MaxBy(k => counts[k]) : throw NothingToImpute(column); // first max: ordinal tie-break
                fitted.Add(new FittedColumn
                {
                    Name = column.Name,
                    Kind = spec.Encoding == CategoricalEncoding.OneHot ? FeatureKind.OneHot : FeatureKind.LabelCode,
                    ImputeCategory = impute,
                    Categories = categories,
                    OutputWidth = spec.Encoding == CategoricalEncoding.OneHot ? categories.Count : 1,
                });
            }
        }
        RequireModellable(spec, tooLarge);
        return new Preprocessor(spec with { Scaling = Scaling.None }, WithOffsets(fitted), knn, new PreprocessorReport());
    }

    private static Exception NothingToImpute(ColumnInfo column) =>
        DataFormatException.Verbatim(column.Name, $"column '{column.Name}' has no values at all to impute its missing values from");

    /// <summary>Adds the texts of <paramref name="rows"/> to <paramref name="counts"/>; a run of one string (the readers share one string per
    /// distinct value) costs one dictionary update.</summary>
    private static void CountCategories(string?[] texts, ReadOnlySpan<int> rows, Dictionary<string, long> counts)
    {
        string? last = null;
        long run = 0;
        foreach (var r in rows)
        {
            var text = texts[r];
            if (text is null) continue;
            if (ReferenceEquals(text, last)) { run++; continue; }
            if (last is not null) counts[last] = counts.GetValueOrDefault(last) + run;
            last = text;
            run = 1;
        }
        if (last is not null) counts[last] = counts.GetValueOrDefault(last) + run;
    }

    /// <summary>The exact median (the mean of the two middle values for an even count), from value counts.</summary>
    internal static double? Median(Dictionary<double, long> counts, long n)
    {
        if (n == 0) return null;
        long lowRank = (n - 1) / 2, highRank = n / 2, seen = 0;
        double? low = null;
        foreach (var (value, count) in counts.OrderBy(p => p.Key))
        {
            if (low is null && lowRank < seen + count) low = value;
            if (highRank < seen + count) return (low!.Value + value) / 2;
            seen += count;
        }
        return null;
    }

    /// <summary>The most frequent value; ties go to the smallest (as scipy/pandas mode).</summary>
    internal static double? Mode(Dictionary<double, long> counts)
    {
        if (counts.Count == 0) return null;
        return counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key).First().Key;
    }

    private static List<FittedColumn> WithOffsets(List<FittedColumn> columns)
    {
        var offset = 0;
        var result = new List<FittedColumn>();
        foreach (var c in columns)
        {
            result.Add(c with { OutputOffset = offset });
            offset += c.OutputWidth;
        }
        return result;
    }

    private static List<FittedColumn> ScalingPass(Func<IEnumerable<ColumnBatch>> batches, Preprocessor interim,
        PreprocessingSpec spec, Func<string?, bool>? filter)
    {
        var columns = interim.Columns;
        var stats = columns.Select(_ => new RunningStats(spec.Scaling == Scaling.ModeCentred)).ToArray();
        var block = new double[Block];
        if (spec.Scaling != Scaling.None)
        {
            foreach (var batch in batches())
            {
                var rows = interim.SelectRows(batch, filter, out _);
                var map = interim.MapColumns(batch);
                var counters = new TransformCounters();
                var knnImputed = interim.ImputeKnn(batch, map, rows, ref counters);
                for (var start = 0; start < rows.Length; start += Block)
                {
                    var blockRows = rows.AsSpan(start, Math.Min(Block, rows.Length - start));
                    for (var c = 0; c < columns.Count; c++)
                    {
                        if (columns[c].Kind == FeatureKind.OneHot) continue;
                        var values = block.AsSpan(0, blockRows.Length);
                        interim.FillPreScale(c, batch, map[c], blockRows, start, knnImputed, values, ref counters);
                        stats[c].Add(values);
                    }
                }
            }
        }
        var fitted = columns.Select((c, i) => c.Kind == FeatureKind.OneHot || spec.Scaling == Scaling.None
            ? c with { Scaling = Scaling.None }
            : stats[i].Fit(c, spec.Scaling)).ToList();
        RequireModellable(spec, fitted.Select((c, i) => (c.Name, stats[i].LargestOutput(c))).ToList());
        return fitted;
    }

    /// <summary>
    /// The most features a fit accepts: a full covariance has d² entries per component and an EM pass costs about n·d²
    /// per component; far beyond, a fit would not end (or fit in memory). One-hot columns of addresses, timestamps or
    /// ids are how data gets there.
    /// </summary>
    public const int MaxFeatures = 4096;

    private static void RequireFittableWidth(PreprocessingSpec spec, IReadOnlyList<FittedColumn> columns)
    {
        var width = columns.Sum(c => (long)c.OutputWidth);
        if (width <= MaxFeatures) return;
        var widest = string.Join(", ", columns.Where(c => c.OutputWidth > 1).OrderByDescending(c => c.OutputWidth).Take(3)
            .Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"'{c.Name}' {c.OutputWidth:N0} categories")));
        throw DataFormatException.Verbatim(spec.Name, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"preprocessing '{spec.Name}' makes {width:N0} features, more than {MaxFeatures:N0} a Gaussian mixture can be fitted on " +
            $"({widest}): drop such columns (maxCategories or dropColumns in a preprocessing JSON file, or \"ignored\" in a schema file)"));
    }

    /// <summary>
    /// The largest feature magnitude a fit accepts. EM sums squared deviations over all rows (and k-means over all
    /// dimensions): far below overflow at 1e100 for any realistic row count, overflowing for values near 1e154 and up.
    /// </summary>
    public const double MaxFeatureMagnitude = 1e100;

    /// <summary>Refuses, in one line, the columns whose features on the fit rows reach beyond <see cref="MaxFeatureMagnitude"/>.</summary>
    private static void RequireModellable(PreprocessingSpec spec, List<(string Column, double Largest)> columns)
    {
        var over = columns.Where(c => !(c.Largest <= MaxFeatureMagnitude)).ToList();
        if (over.Count == 0) return;
        var named = string.Join(", ", over.Select(c =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"'{c.Column}' (up to {c.Largest:G3})")));
        throw DataFormatException.Verbatim(over[0].Column,
            $"{(over.Count == 1 ? "column" : "columns")} {named} after preprocessing '{spec.Name}': values too large to model " +
            "(beyond 1e100 the squares a Gaussian's variance sums overflow); " +
            (over.Count == 1 ? "log1p it (as --preset kdd-wide does), scale it or drop it" : "log1p them (as --preset kdd-wide does), scale them or drop them"));
    }

    /// <summary>
    /// Min, max, mean and M2 merged block by block (Chan et al.), plus value counts for the mode. Values so large that
    /// the sums overflow (1e308) are summarised scaled by a power of two from that block on, so the mean and the spread
    /// of finite values stay finite; ordinary data never takes that path and keeps its statistics bit for bit.
    /// </summary>
    private sealed class RunningStats(bool countValues)
    {
        private long _n;
        private double _mean, _m2; // of the values × _unit
        private double _unit = 1; // 1, or OverflowSafeSum.Down once a block overflowed
        private double[]? _scaled;
        private double _min = double.PositiveInfinity, _max = double.NegativeInfinity;
        private readonly Dictionary<double, long>? _counts = countValues ? [] : null;

        public void Add(ReadOnlySpan<double> values)
        {
            if (values.IsEmpty) return;
            _min = Math.Min(_min, System.Numerics.Tensors.TensorPrimitives.Min(values));
            _max = Math.Max(_max, System.Numerics.Tensors.TensorPrimitives.Max(values));
            if (_counts is not null)
                foreach (var v in values) _counts[v] = _counts.GetValueOrDefault(v) + 1;
            if (_unit == 1 && Merge(values, force: false)) return;
            if (_unit == 1)
            {
                _unit = OverflowSafeSum.Down;
                _mean *= _unit;
                _m2 = _m2 * _unit * _unit;
            }
            if (_scaled is null || _scaled.Length < values.Length) _scaled = new double[Math.Max(values.Length, Block)];
            var scaled = _scaled.AsSpan(0, values.Length);
            System.Numerics.Tensors.TensorPrimitives.Multiply(values, _unit, scaled);
            Merge(scaled, force: true);
        }

        /// <summary>Merges a block into the moments; unless forced, false (and nothing merged) when they would not be finite.</summary>
        private bool Merge(ReadOnlySpan<double> values, bool force)
        {
            var n = values.Length;
            var mean = FixedOrderSum(values) / n;
            var m2 = 0.0;
            foreach (var v in values) m2 += (v - mean) * (v - mean);
            var total = _n + n;
            var delta = mean - _mean;
            var newMean = _mean + delta * n / total;
            var newM2 = _m2 + (m2 + delta * delta * _n * n / total);
            if (!force && !(double.IsFinite(newMean) && double.IsFinite(newM2))) return false;
            (_mean, _m2, _n) = (newMean, newM2, total);
            return true;
        }

        /// <summary>
        /// Σ values in an order fixed by the data alone: four running sums (value i into sum i mod 4), folded (0+1)+(2+3).
        /// TensorPrimitives.Sum's order follows the vector width, so an AVX2 and an AVX-512 machine fitted different
        /// centres to the last bit for non-integer columns (kdd-wide's log1p ones) and trained different models from the
        /// same file. Runs once per value at fit time, not in a hot loop.
        /// </summary>
        private static double FixedOrderSum(ReadOnlySpan<double> values)
        {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 4 <= values.Length; i += 4)
            {
                s0 += values[i];
                s1 += values[i + 1];
                s2 += values[i + 2];
                s3 += values[i + 3];
            }
            if (i < values.Length) s0 += values[i];
            if (i + 1 < values.Length) s1 += values[i + 1];
            if (i + 2 < values.Length) s2 += values[i + 2];
            return (s0 + s1) + (s2 + s3);
        }

        /// <summary>The largest magnitude that <paramref name="fitted"/> gives the values seen (scaling is monotone).</summary>
        public double LargestOutput(FittedColumn fitted) =>
            _n == 0 ? 0 : Math.Max(Math.Abs(ScaleOne(fitted, _min)), Math.Abs(ScaleOne(fitted, _max)));

        private static double ScaleOne(FittedColumn fitted, double x) => fitted.Scaling switch
        {
            Scaling.None => x,
            Scaling.MinMax => x * fitted.Scale + fitted.Offset,
            _ => (x - fitted.Center) / fitted.Divisor,
        };

        /// <summary>The mean in the values' own unit (within [min, max], where rounding in the scaled unit could step out).</summary>
        private double Mean => _unit == 1 ? _mean : Math.Clamp(_mean / _unit, _min, _max);

        /// <summary>The square root of <paramref name="scaledVariance"/> (of the values × unit) in the values' own unit.</summary>
        private double Spread(double scaledVariance) => Math.Sqrt(scaledVariance) / _unit;

        public FittedColumn Fit(FittedColumn column, Scaling scaling)
        {
            if (_n == 0) return column with { Scaling = scaling, Constant = true };
            switch (scaling)
            {
                case Scaling.MinMax:
                {
                    // scikit-learn: scale_ = 1 / range (a range under 10·eps counts as 1), min_ = 0 − data_min·scale_.
                    var range = _max - _min;
                    var constant = range < 10 * MachineEpsilon;
                    // A range past double.MaxValue (values near ±1e308) still has a (tiny) finite reciprocal.
                    var scale = double.IsInfinity(range) ? 0.5 / (_max * 0.5 - _min * 0.5) : 1.0 / (constant ? 1.0 : range);
                    return column with { Scaling = scaling, Scale = scale, Offset = 0 - _min * scale, Constant = constant };
                }
                case Scaling.Standard:
                {
                    // The constant test compares the variance with the mean's square: both in the scaled unit, same answer.
                    var variance = _m2 / _n;
                    const double eps = MachineEpsilon; // scikit-learn's _is_constant_feature bound
                    var constant = variance <= _n * eps * variance + (_n * _mean * eps) * (_n * _mean * eps);
                    return column with { Scaling = scaling, Center = Mean, Divisor = constant ? 1 : Spread(variance), Constant = constant };
                }
                default:
                {
                    var std = _n > 1 ? Spread(_m2 / (_n - 1)) : 0;
                    var mode = Mode(_counts!)!.Value;
                    return column with { Scaling = scaling, Center = mode, Divisor = std > 0 ? std : 1, Constant = !(std > 0) };
                }
            }
        }
    }

    // ---------------------------------------------------------------- JSON

    private sealed record State(
        string Format, int Version, PreprocessingSpec Spec, IReadOnlyList<FittedColumn> Columns,
        IReadOnlyList<string> FeatureNames, KnnReference? Knn, ReportState Report);

    private sealed record ReportState(
        long FitRows, long FitRowsDropped, IReadOnlyList<MissingColumnReport> Missing, MissingMatrix? MissingMatrix,
        IReadOnlyList<DroppedColumn> DroppedColumns, IReadOnlyList<string> ConstantColumns);

    public string ToJson() => JsonSerializer.Serialize(new State(FormatName, CurrentVersion, Spec, Columns, FeatureNames, Knn,
        new ReportState(Report.FitRows, Report.FitRowsDropped, Report.Missing, Report.MissingMatrix, Report.DroppedColumns,
            Report.ConstantColumns)), PreprocessingSpec.Json);

    public static Preprocessor FromJson(string json)
    {
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(json, PreprocessingSpec.Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid preprocessor JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
        if (state.Format != FormatName) throw new FormatException($"not a preprocessor (format '{state.Format}')");
        if (state.Version > CurrentVersion)
            throw new FormatException($"preprocessor version {state.Version} is newer than this program ({CurrentVersion})");
        var r = state.Report;
        var result = new Preprocessor(state.Spec, state.Columns, state.Knn, new PreprocessorReport
        {
            FitRows = r.FitRows, FitRowsDropped = r.FitRowsDropped, Missing = r.Missing, MissingMatrix = r.MissingMatrix,
            DroppedColumns = r.DroppedColumns, ConstantColumns = r.ConstantColumns,
        });
        if (!result.FeatureNames.SequenceEqual(state.FeatureNames))
            throw new FormatException("preprocessor JSON is inconsistent: its feature names do not match its columns");
        return result;
    }
}
