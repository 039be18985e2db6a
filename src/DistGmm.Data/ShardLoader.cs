using System.Numerics;
using System.Runtime.InteropServices;
using DistGmm.Numerics;
using DistGmm.Data.Parquet;

namespace DistGmm.Data;

/// <summary>One shard, loaded and transformed: features for EM, the rows' ids and labels, and (optionally) the raw values.</summary>
public sealed class LoadedShard
{
    internal LoadedShard(string path, DataMatrix features, long[] rowIds, string?[]? labels, ColumnBatch? raw, int[] rawRows,
        IReadOnlyList<ColumnInfo> rawColumns, CompactRawRows? compactRaw)
    {
        CompactRaw = compactRaw;
        Path = path;
        Features = features;
        RowIds = rowIds;
        Labels = labels;
        Raw = raw;
        RawRows = rawRows;
        RawColumns = rawColumns;
    }

    public string Path { get; }

    /// <summary>Row-major float64 features, one row per kept row.</summary>
    public DataMatrix Features { get; }

    /// <summary>The dataset's stable row id of each feature row.</summary>
    public long[] RowIds { get; }

    /// <summary>The normalised label of each feature row, or null when the dataset has no label.</summary>
    public string?[]? Labels { get; }

    public int Rows => Features.Rows;

    /// <summary>
    /// The whole shard's raw values (including rows not kept); use <see cref="RawRows"/> to index it. Null when the
    /// shard was loaded by <see cref="ShardLoader.LoadFeatures"/>, which keeps <see cref="CompactRaw"/> instead.
    /// </summary>
    public ColumnBatch? Raw { get; }

    /// <summary>The kept rows' raw values in compact form (<see cref="ShardLoader.LoadFeatures"/>), else null.</summary>
    public CompactRawRows? CompactRaw { get; }

    /// <summary>For each feature row, its row in the shard file (and in <see cref="Raw"/>).</summary>
    public int[] RawRows { get; }

    /// <summary>The raw data columns (label included, row id excluded).</summary>
    public IReadOnlyList<ColumnInfo> RawColumns { get; }

    /// <summary>The raw value of feature row <paramref name="row"/> in <paramref name="column"/> (null when missing).</summary>
    public object? GetRaw(int row, string column)
    {
        var raw = Raw ?? throw new InvalidOperationException($"{Path} was loaded without its raw values.");
        var c = raw.IndexOf(column);
        if (c < 0) throw new ArgumentException($"no column '{column}' in {Path}", nameof(column));
        return raw.GetValue(RawRows[row], c);
    }
}

/// <summary>
/// Loads shards for workers: Parquet → raw batch → the fitted preprocessor → <see cref="DataMatrix"/>. The rows kept are
/// <see cref="Preprocessor.SelectScorableRows"/>'s: a row the model cannot transform is left out, not fatal to the shard,
/// and the scoring job names it unscorable (with <see cref="Preprocessor.DropReason"/>).
/// </summary>
public static class ShardLoader
{
    /// <summary>Loads a shard of the dataset whose manifest sits beside it.</summary>
    public static LoadedShard Load(string shardPath, Preprocessor preprocessor, Func<string?, bool>? rowFilterByLabel = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(shardPath))!;
        var manifest = DatasetManifest.Load(directory);
        var raw = ShardFiles.Read(shardPath, manifest.DataColumns);
        return Transform(shardPath, raw, preprocessor, rowFilterByLabel);
    }

    /// <summary>Loads shard <paramref name="shard"/> of a dataset.</summary>
    public static LoadedShard Load(DatasetManifest manifest, int shard, Preprocessor preprocessor,
        Func<string?, bool>? rowFilterByLabel = null, bool verify = true)
    {
        var path = manifest.ShardPath(shard);
        return Transform(path, ShardFiles.Read(manifest, shard, manifest.DataColumns, verify), preprocessor, rowFilterByLabel);
    }

    /// <summary>
    /// As <see cref="Load(DatasetManifest, int, Preprocessor, Func{string?, bool}?)"/>, keeping the kept rows' raw values
    /// in <see cref="CompactRawRows"/> instead of the raw batch: as doubles and string references the raw values of
    /// KDD take more memory than the features; compact they take about a fifth.
    /// </summary>
    /// <remarks>The shard's SHA-256 is checked against the manifest as it is read unless <paramref name="verify"/> is false.</remarks>
    public static LoadedShard LoadFeatures(DatasetManifest manifest, int shard, Preprocessor preprocessor,
        Func<string?, bool>? rowFilterByLabel = null, bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(preprocessor);
        var columns = manifest.DataColumns;
        using var reader = OpenChecked(manifest, shard, verify);
        var total = checked((int)reader.TotalRows);
        var d = preprocessor.OutputDimension;
        // Pinned object heap: the matrices are the big long-lived arrays; in the large-object heap they could not reuse
        // the holes the row groups' garbage leaves, and the GC kept ~0.8 GB more committed than live on 4.9M KDD rows.
        var values = GC.AllocateUninitializedArray<double>(checked(total * d), pinned: true);
        var rowIds = new long[total];
        var labels = new string?[total];
        var rawRows = new int[total];
        var compact = new CompactRawRows(columns);
        var hasLabels = false;
        var kept = ForEachRowGroup(reader, columns, preprocessor, rowFilterByLabel, values, (batch, rows, at, fileRow) =>
        {
            compact.Append(batch, rows);
            var batchLabels = batch.Labels;
            hasLabels |= batchLabels is not null;
            for (var i = 0; i < rows.Length; i++)
            {
                rowIds[at + i] = batch.RowIds[rows[i]];
                labels[at + i] = batchLabels?[rows[i]];
                rawRows[at + i] = fileRow + rows[i];
            }
        });
        if (kept < total)
        {
            var trimmed = GC.AllocateUninitializedArray<double>(kept * d, pinned: true);
            values.AsSpan(0, kept * d).CopyTo(trimmed);
            values = trimmed;
            Array.Resize(ref rowIds, kept);
            Array.Resize(ref labels, kept);
            Array.Resize(ref rawRows, kept);
        }
        return new LoadedShard(manifest.ShardPath(shard), new DataMatrix(values, kept, d), rowIds, hasLabels ? labels : null, null, rawRows, columns, compact);
    }

    /// <summary>
    /// Only the features of shard <paramref name="shard"/>, transformed straight into <paramref name="destination"/>
    /// (row-major, at least the shard's rows × the preprocessor's output dimension); returns the rows kept. For one
    /// matrix of many shards without a per-shard copy.
    /// </summary>
    public static int LoadFeaturesInto(DatasetManifest manifest, int shard, Preprocessor preprocessor, Memory<double> destination,
        bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(preprocessor);
        using var reader = OpenChecked(manifest, shard, verify);
        if (destination.Length < checked(reader.TotalRows * preprocessor.OutputDimension))
            throw new ArgumentException($"shard {shard} has {reader.TotalRows} rows: the destination holds fewer", nameof(destination));
        return ForEachRowGroup(reader, manifest.DataColumns, preprocessor, null, destination, null);
    }

    private static ParquetFileReader OpenChecked(DatasetManifest manifest, int shard, bool verify)
    {
        var reader = ShardFiles.Open(manifest, shard, verify);
        try
        {
            ShardFiles.RequireColumns(reader, manifest.DataColumns);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Row group by row group: only one group's raw values are ever decoded at once, and the kept rows' features go
    /// straight into <paramref name="features"/>; <paramref name="keep"/> sees each group's batch, its kept rows, where
    /// they start among the kept rows, and the group's first row in the file. Returns the rows kept.
    /// </summary>
    private static int ForEachRowGroup(ParquetFileReader reader, IReadOnlyList<ColumnInfo> columns, Preprocessor preprocessor,
        Func<string?, bool>? rowFilterByLabel, Memory<double> features, Action<ColumnBatch, int[], int, int>? keep)
    {
        var d = preprocessor.OutputDimension;
        // One batch for every row group: a fresh one per group (~23 MB for 64k KDD rows) is large-object garbage.
        var largestGroup = 0;
        for (var g = 0; g < reader.RowGroupCount; g++) largestGroup = Math.Max(largestGroup, checked((int)reader.RowGroupRowCount(g)));
        var batch = new ColumnBatch(columns, largestGroup);
        int kept = 0, fileRow = 0;
        long dropped = 0, untransformable = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            batch.Count = ShardFiles.ReadRowGroup(reader, g, columns, batch, offset: 0);
            var rows = preprocessor.SelectScorableRows(batch, rowFilterByLabel, out var droppedHere, out var untransformableHere);
            dropped += droppedHere;
            untransformable += untransformableHere;
            preprocessor.Transform(batch, rows, features.Span.Slice(kept * d, rows.Length * d));
            keep?.Invoke(batch, rows, kept, fileRow);
            kept += rows.Length;
            fileRow += batch.Count;
        }
        preprocessor.Report.RecordTransform(dropped, 0, null, untransformable);
        return kept;
    }

    /// <summary>Reads a shard's raw values without preprocessing (row ids in <see cref="ColumnBatch.RowIds"/>).</summary>
    public static ColumnBatch ReadRaw(string shardPath)
    {
        var manifest = DatasetManifest.Load(Path.GetDirectoryName(Path.GetFullPath(shardPath))!);
        return ShardFiles.Read(shardPath, manifest.DataColumns);
    }

    internal static LoadedShard Transform(string path, ColumnBatch raw, Preprocessor preprocessor, Func<string?, bool>? filter)
    {
        var rows = preprocessor.SelectScorableRows(raw, filter, out var dropped, out var untransformable);
        var features = preprocessor.Transform(raw, rows);
        preprocessor.Report.RecordTransform(dropped, 0, null, untransformable);
        var rowIds = new long[rows.Length];
        for (var i = 0; i < rows.Length; i++) rowIds[i] = raw.RowIds[rows[i]];
        string?[]? labels = null;
        if (raw.Labels is { } all)
        {
            labels = new string?[rows.Length];
            for (var i = 0; i < rows.Length; i++) labels[i] = all[rows[i]];
        }
        return new LoadedShard(path, features, rowIds, labels, raw, rows, raw.Columns, null);
    }
}

/// <summary>
/// Raw values of rows of one or more batches, appended batch by batch; within a batch equal rows are kept once, and
/// each column of the distinct rows has the narrowest encoding that gives back the very same value: numbers as small integers (offset from the minimum) divided by a
/// power of ten when every value round-trips bit for bit (IEEE division is correctly rounded, so i/100 is exactly the
/// double parsed from "0.ii"), else doubles; texts as codes into the batch's distinct values.
/// </summary>
public sealed class CompactRawRows
{
    private static readonly double[] Scales = [1, 10, 100, 1000, 10000];
    private readonly List<(int Start, Column RowIndex, Column?[] Columns)> _segments = [];

    public CompactRawRows(IReadOnlyList<ColumnInfo> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Columns = columns;
    }

    public IReadOnlyList<ColumnInfo> Columns { get; }

    public int Count { get; private set; }

    /// <summary>Bytes held (codes and doubles; the distinct strings are shared with the reader's interned ones).</summary>
    public long Bytes => _segments.Sum(s => s.RowIndex.Codes.Length + s.Columns.Sum(c => c is null ? 0L : c.Codes.Length + (c.Doubles?.Length ?? 0) * 8L));

    /// <summary>Appends the given rows of <paramref name="batch"/> (same columns), in order.</summary>
    public CompactRawRows Append(ColumnBatch batch, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Columns.Count != Columns.Count) throw new ArgumentException("the batch has other columns", nameof(batch));
        if (rows.Length == 0) return this;
        // Equal rows are stored once (KDD repeats rows by the hundred thousand): the segment keeps each row's index
        // into its distinct rows, and the columns encode the distinct rows only.
        var comparer = new RowComparer(batch, rows);
        var distinctOf = new Dictionary<int, int>(comparer);
        var distinct = new List<int>();
        var index = new int[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            if (!distinctOf.TryGetValue(i, out var at))
            {
                distinctOf[i] = at = distinct.Count;
                distinct.Add(rows[i]);
            }
            index[i] = at;
        }
        var columns = new Column?[Columns.Count];
        var distinctRows = CollectionsMarshal.AsSpan(distinct);
        for (var c = 0; c < columns.Length; c++)
        {
            if (batch.Numbers[c] is { } numbers) columns[c] = Numeric(numbers, distinctRows);
            else if (batch.Texts[c] is { } texts) columns[c] = Text(texts, distinctRows);
        }
        var rowIndex = new Column(Width(distinct.Count - 1), rows.Length);
        for (var i = 0; i < rows.Length; i++) rowIndex.Set(i, index[i]);
        _segments.Add((Count, rowIndex, columns));
        Count += rows.Length;
        return this;
    }

    /// <summary>
    /// The given rows of a batch (keyed by their position in <c>rows</c>) equal when every value is (numbers bit for bit,
    /// texts ordinally). The rows' hashes are computed up front column by column (each column read once, in order; a text
    /// hashed once per run of the same string) so the dictionary never walks a row's columns to hash it.
    /// </summary>
    private sealed class RowComparer : IEqualityComparer<int>
    {
        private readonly ColumnBatch _batch;
        private readonly int[] _rows;
        private readonly int[] _hashes;

        public RowComparer(ColumnBatch batch, ReadOnlySpan<int> rows)
        {
            _batch = batch;
            _rows = rows.ToArray();
            _hashes = new int[rows.Length];
            for (var c = 0; c < batch.Columns.Count; c++)
            {
                if (batch.Numbers[c] is { } n)
                    for (var i = 0; i < _rows.Length; i++) _hashes[i] = Mix(_hashes[i], n[_rows[i]].GetHashCode());
                else if (batch.Texts[c] is { } t)
                {
                    string? last = null;
                    var lastHash = 0;
                    for (var i = 0; i < _rows.Length; i++)
                    {
                        var v = t[_rows[i]];
                        if (!ReferenceEquals(v, last))
                        {
                            last = v;
                            lastHash = v is null ? 0 : StringComparer.Ordinal.GetHashCode(v);
                        }
                        _hashes[i] = Mix(_hashes[i], lastHash);
                    }
                }
            }
        }

        private static int Mix(int hash, int value) => (int)BitOperations.RotateLeft((uint)(hash ^ value) * 0x9E3779B1u, 15);

        public bool Equals(int x, int y)
        {
            if (_hashes[x] != _hashes[y]) return false;
            int a = _rows[x], b = _rows[y];
            for (var c = 0; c < _batch.Columns.Count; c++)
            {
                if (_batch.Numbers[c] is { } n)
                {
                    if (BitConverter.DoubleToInt64Bits(n[a]) != BitConverter.DoubleToInt64Bits(n[b])) return false;
                }
                else if (_batch.Texts[c] is { } t && !string.Equals(t[a], t[b], StringComparison.Ordinal)) return false;
            }
            return true;
        }

        public int GetHashCode(int position) => _hashes[position];
    }

    /// <summary>The number in column <paramref name="column"/> of row <paramref name="row"/> (NaN when missing).</summary>
    public double Number(int row, int column)
    {
        var (c, i) = Locate(row, column);
        if (c.Dictionary is not null) throw new ArgumentException($"column {column} holds texts", nameof(column));
        return c.Doubles is { } d ? d[i] : (c.Minimum + c.Code(i)) / c.Scale;
    }

    /// <summary>The text in column <paramref name="column"/> of row <paramref name="row"/> (null when missing).</summary>
    public string? Text(int row, int column)
    {
        var (c, i) = Locate(row, column);
        return c.Dictionary is { } dictionary ? dictionary[c.Code(i)] : throw new ArgumentException($"column {column} holds numbers", nameof(column));
    }

    private (Column Column, int Index) Locate(int row, int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        int lo = 0, hi = _segments.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_segments[mid].Start <= row) lo = mid; else hi = mid - 1;
        }
        var (start, rowIndex, columns) = _segments[lo];
        var c = columns[column] ?? throw new ArgumentException($"column {column} holds no values", nameof(column));
        return (c, (int)rowIndex.Code(row - start));
    }

    private static Column Numeric(double[] values, ReadOnlySpan<int> rows)
    {
        foreach (var scale in Scales)
            if (TryIntegers(values, rows, scale, out var minimum, out var range))
            {
                var column = new Column(Width(range), rows.Length) { Minimum = minimum, Scale = scale };
                for (var i = 0; i < rows.Length; i++) column.Set(i, (long)Math.Round(values[rows[i]] * scale) - minimum);
                return column;
            }
        var doubles = new double[rows.Length];
        for (var i = 0; i < rows.Length; i++) doubles[i] = values[rows[i]];
        return new Column(0, 0) { Doubles = doubles };
    }

    /// <summary>Whether every value is (minimum + code) / scale exactly (bits), with integers below 2^31 in size.</summary>
    private static bool TryIntegers(double[] values, ReadOnlySpan<int> rows, double scale, out long minimum, out long range)
    {
        long lo = long.MaxValue, hi = long.MinValue;
        foreach (var r in rows)
        {
            var v = values[r];
            var scaled = Math.Round(v * scale);
            if (!(Math.Abs(scaled) < 2147483648.0)) { minimum = range = 0; return false; }   // NaN, ±∞, too large
            var n = (long)scaled;
            if (BitConverter.DoubleToInt64Bits(n / scale) != BitConverter.DoubleToInt64Bits(v)) { minimum = range = 0; return false; }
            lo = Math.Min(lo, n);
            hi = Math.Max(hi, n);
        }
        minimum = rows.Length == 0 ? 0 : lo;
        range = rows.Length == 0 ? 0 : hi - lo;
        return true;
    }

    private static Column Text(string?[] values, ReadOnlySpan<int> rows)
    {
        var codes = new Dictionary<string, int>(StringComparer.Ordinal);
        var dictionary = new List<string?> { null };   // code 0: missing
        var indices = new int[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            if (values[rows[i]] is not { } v) continue;
            if (!codes.TryGetValue(v, out var code))
            {
                codes[v] = code = dictionary.Count;
                dictionary.Add(v);
            }
            indices[i] = code;
        }
        var column = new Column(Width(dictionary.Count - 1), rows.Length) { Dictionary = [.. dictionary] };
        for (var i = 0; i < rows.Length; i++) column.Set(i, indices[i]);
        return column;
    }

    private static int Width(long maxCode) => maxCode <= byte.MaxValue ? 1 : maxCode <= ushort.MaxValue ? 2 : 4;

    /// <summary>Codes of 1, 2 or 4 bytes per row (little-endian), or the doubles themselves.</summary>
    private sealed class Column(int width, int rows)
    {
        public byte[] Codes { get; } = new byte[width * rows];
        public double[]? Doubles { get; init; }
        public string?[]? Dictionary { get; init; }
        public long Minimum { get; init; }
        public double Scale { get; init; } = 1;

        public long Code(int row) => width switch
        {
            1 => Codes[row],
            2 => BitConverter.ToUInt16(Codes, 2 * row),
            _ => BitConverter.ToUInt32(Codes, 4 * row),
        };

        public void Set(int row, long code)
        {
            switch (width)
            {
                case 1: Codes[row] = (byte)code; break;
                case 2: BitConverter.TryWriteBytes(Codes.AsSpan(2 * row), (ushort)code); break;
                default: BitConverter.TryWriteBytes(Codes.AsSpan(4 * row), (uint)code); break;
            }
        }
    }
}
