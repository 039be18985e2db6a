using System.Buffers;
using System.Collections.ObjectModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Native = ParquetSharp;

namespace DistGmm.Data.Parquet;

/// <summary>
/// Reads the flat columns of a Parquet file through ParquetSharp (Apache Arrow's C++ Parquet reader). Every
/// failure of the file is a <see cref="DataFormatException"/> naming the file; <see cref="ArgumentException"/>s are the
/// caller's mistakes (unknown column, short buffer). Columns nested in groups or repeated are not in
/// <see cref="Schema"/>: they are listed in <see cref="NestedColumns"/> and never read. One instance serialises its
/// native calls, so it may be shared by threads.
/// </summary>
public sealed class ParquetFileReader : IDisposable
{
    private readonly Native.ParquetFileReader _file;
    private readonly IDisposable? _input;
    private readonly int[] _leaf; // schema field → leaf column index in the file
    private readonly long[] _rowGroupRows;
    private readonly Lock _gate = new();
    private Native.RowGroupReader? _group;
    private int _groupIndex = -1;

    private ParquetFileReader(string path, long length, Native.ParquetFileReader file, IDisposable? input)
    {
        Path = path;
        FileLength = length;
        _file = file;
        _input = input;
        using var meta = file.FileMetaData;
        TotalRows = meta.NumRows;
        RowGroupCount = meta.NumRowGroups;
        CreatedBy = meta.CreatedBy;
        FormatVersion = meta.Version switch { Native.ParquetVersion.PARQUET_1_0 => 1, _ => 2 };
        KeyValueMetadata = new ReadOnlyDictionary<string, string?>(meta.KeyValueMetadata.ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal));
        var descriptor = meta.Schema;
        var fields = new List<ParquetField>();
        var leaves = new List<int>();
        var nested = new List<string>();
        for (var c = 0; c < descriptor.NumColumns; c++)
        {
            var column = descriptor.Column(c);
            var path0 = column.Path.ToDotVector();
            if (path0.Length != 1 || column.MaxRepetitionLevel != 0 || column.MaxDefinitionLevel > 1)
            {
                if (!nested.Contains(path0[0])) nested.Add(path0[0]);
                continue;
            }
            fields.Add(ParquetTypes.Field(column));
            leaves.Add(c);
        }
        NestedColumns = nested;
        if (fields.Count == 0)
            throw new DataFormatException(path, nested.Count > 0 ? $"no flat column: every column is nested ({string.Join(", ", nested)})" : "the file has no columns");
        Schema = new ParquetSchema(fields);
        _leaf = [.. leaves];
        _rowGroupRows = new long[RowGroupCount];
        long sum = 0;
        for (var g = 0; g < RowGroupCount; g++)
        {
            using var group = file.RowGroup(g);
            var groupMeta = group.MetaData;
            _rowGroupRows[g] = groupMeta.NumRows;
            if (_rowGroupRows[g] < 0 || _rowGroupRows[g] > int.MaxValue)
                throw new DataFormatException(path, $"row group {g} claims {_rowGroupRows[g]} rows");
            sum += _rowGroupRows[g];
        }
        if (sum != TotalRows) throw new DataFormatException(path, $"the footer says {TotalRows} rows but the row groups hold {sum}");
    }

    public string Path { get; }

    /// <summary>The flat columns (direct children of the root, not repeated).</summary>
    public ParquetSchema Schema { get; }

    /// <summary>Top-level names of the nested or repeated columns, which this reader skips.</summary>
    public IReadOnlyList<string> NestedColumns { get; }

    public long TotalRows { get; }

    public int RowGroupCount { get; }

    public IReadOnlyDictionary<string, string?> KeyValueMetadata { get; }

    public string? CreatedBy { get; }

    public int FormatVersion { get; }

    public long FileLength { get; }

    public long RowGroupRowCount(int rowGroup)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowGroup);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rowGroup, RowGroupCount);
        return _rowGroupRows[rowGroup];
    }

    /// <summary>Opens a file and reads its footer. Errors: <see cref="DataFormatException"/> naming the file.</summary>
    public static ParquetFileReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        long length;
        Span<byte> head = stackalloc byte[4];
        int headLength;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            length = stream.Length;
            headLength = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot open the file: {e.Message}", e);
        }
        CheckLeadingMagic(path, head[..headLength]);
        return Guard(path, () =>
        {
            var file = new Native.ParquetFileReader(path);
            try
            {
                return new ParquetFileReader(path, length, file, null);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        });
    }

    /// <summary>Reads a Parquet file held in memory; <paramref name="name"/> is used in error messages.</summary>
    public static ParquetFileReader Open(byte[] data, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckLeadingMagic(name, data.AsSpan(0, Math.Min(4, data.Length)));
        return Guard(name, () =>
        {
            var stream = new MemoryStream(data, writable: false);
            var input = new Native.IO.ManagedRandomAccessFile(stream);
            Native.ParquetFileReader? file = null;
            try
            {
                file = new Native.ParquetFileReader(input);
                return new ParquetFileReader(name, data.Length, file, input);
            }
            catch
            {
                file?.Dispose();
                input.Dispose();
                throw;
            }
        });
    }

    /// <summary>Arrow reads from the footer only; a file that does not start with PAR1 is not Parquet all the same.</summary>
    private static void CheckLeadingMagic(string path, ReadOnlySpan<byte> head)
    {
        if (head.Length == 4 && !head.SequenceEqual("PAR1"u8) && !head.SequenceEqual("PARE"u8))
            throw new DataFormatException(path, $"missing leading magic PAR1 (found {Convert.ToHexString(head)})");
    }

    /// <summary>Runs native work; its failures become one line naming the file.</summary>
    private static T Guard<T>(string path, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (ParquetTypes.IsFileFault(e))
        {
            // Arguments are checked before native work starts: whatever fails in it is the file's fault.
            throw new DataFormatException(path, ParquetTypes.CleanMessage(e.Message), e);
        }
    }

    private int ColumnIndex(string columnName)
    {
        var index = Schema.IndexOf(columnName);
        if (index >= 0) return index;
        if (NestedColumns.Contains(columnName))
            throw new DataFormatException(Path, $"column '{columnName}' is nested (a group or repeated field); only flat columns can be read");
        throw new ArgumentException($"{Path}: no column named '{columnName}'", nameof(columnName));
    }

    /// <summary>The reader of one column chunk; the row group's reader is kept while the caller stays in that group.</summary>
    private Native.ColumnReader Column(int rowGroup, int column)
    {
        if (_groupIndex != rowGroup)
        {
            _group?.Dispose();
            _group = null;
            _group = _file.RowGroup(rowGroup);
            _groupIndex = rowGroup;
        }
        return _group!.Column(_leaf[column]);
    }

    public ColumnChunkInfo GetColumnChunkInfo(int rowGroup, int column)
    {
        RowGroupRowCount(rowGroup);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Schema.Fields.Count);
        var field = Schema.Fields[column];
        lock (_gate)
            return Guard(Path, () =>
            {
                using var group = _file.RowGroup(rowGroup);
                var meta = group.MetaData;
                using var chunk = meta.GetColumnChunkMetaData(_leaf[column]);
                ColumnStatistics? statistics = null;
                if (chunk.IsStatsSet)
                {
                    using var s = chunk.Statistics;
                    if (s is not null)
                        statistics = new ColumnStatistics(s.NullCount, s.DistinctCount > 0 ? s.DistinctCount : null,
                            s.HasMinMax ? ParquetTypes.PlainBytes(s, field, min: true) : null,
                            s.HasMinMax ? ParquetTypes.PlainBytes(s, field, min: false) : null);
                }
                return new ColumnChunkInfo(field.Name, field.PhysicalType, ParquetTypes.Codec(chunk.Compression),
                    [.. chunk.Encodings.Select(ParquetTypes.Encoding)], chunk.NumValues, chunk.TotalCompressedSize, chunk.TotalUncompressedSize, statistics);
            });
    }

    /// <summary>Reads every column (or the named ones) of a row group.</summary>
    public IReadOnlyList<ParquetColumn> ReadRowGroup(int rowGroup, IEnumerable<string>? columns = null) =>
        (columns ?? Schema.Fields.Select(f => f.Name)).Select(name => ReadColumn(rowGroup, name)).ToArray();

    /// <summary>Reads one column chunk into a <see cref="ParquetColumn"/> (values by row, nulls flagged).</summary>
    public ParquetColumn ReadColumn(int rowGroup, string columnName)
    {
        var rows = (int)RowGroupRowCount(rowGroup);
        var column = ColumnIndex(columnName);
        var field = Schema.Fields[column];
        lock (_gate)
            return Guard(Path, () =>
            {
                using var reader = Column(rowGroup, column);
                return field.PhysicalType switch
                {
                    PhysicalType.Boolean => Dense<bool, bool>(reader, field, rows, static (src, dst) => src.CopyTo(dst)),
                    PhysicalType.Int32 => Dense<int, int>(reader, field, rows, static (src, dst) => src.CopyTo(dst)),
                    PhysicalType.Int64 => Dense<long, long>(reader, field, rows, static (src, dst) => src.CopyTo(dst)),
                    PhysicalType.Float => Dense<float, double>(reader, field, rows, static (src, dst) =>
                    {
                        for (var i = 0; i < src.Length; i++) dst[i] = src[i];
                    }),
                    PhysicalType.Double => Dense<double, double>(reader, field, rows, static (src, dst) => src.CopyTo(dst)),
                    PhysicalType.Int96 => Dense<Native.Int96, byte[]?>(reader, field, rows, static (src, dst) =>
                    {
                        for (var i = 0; i < src.Length; i++) dst[i] = MemoryMarshal.AsBytes(src.Slice(i, 1)).ToArray();
                    }),
                    PhysicalType.FixedLenByteArray => Dense<Native.FixedLenByteArray, byte[]?>(reader, field, rows, (src, dst) =>
                    {
                        for (var i = 0; i < src.Length; i++) dst[i] = Bytes(src[i].Pointer, field.TypeLength);
                    }),
                    _ when field.IsString => Dense<Native.ByteArray, string?>(reader, field, rows, new StringDecoder().Decode),
                    _ => Dense<Native.ByteArray, byte[]?>(reader, field, rows, static (src, dst) =>
                    {
                        for (var i = 0; i < src.Length; i++) dst[i] = Bytes(src[i].Pointer, src[i].Length);
                    }),
                };
            });
    }

    private static unsafe byte[] Bytes(IntPtr pointer, int length) =>
        length == 0 ? [] : new ReadOnlySpan<byte>((void*)pointer, length).ToArray();

    private delegate void Convert<TSource, TValue>(ReadOnlySpan<TSource> source, Span<TValue> destination);

    /// <summary>The physical values of a chunk, converted batch by batch (pointers of byte arrays live only until the next batch).</summary>
    private ParquetColumn Dense<TPhysical, TValue>(Native.ColumnReader reader, ParquetField field, int rows, Convert<TPhysical, TValue> convert)
        where TPhysical : unmanaged
    {
        var typed = (Native.ColumnReader<TPhysical>)reader;
        var values = new TValue[rows];
        bool[]? nulls = null;
        var scratch = ArrayPool<TPhysical>.Shared.Rent(Math.Min(Math.Max(rows, 1), BatchRows));
        var levels = ArrayPool<short>.Shared.Rent(Math.Min(Math.Max(rows, 1), BatchRows));
        var converted = new TValue[Math.Min(Math.Max(rows, 1), BatchRows)];
        try
        {
            var row = 0;
            while (row < rows && typed.HasNext)
            {
                var want = Math.Min(rows - row, scratch.Length);
                var read = (int)typed.ReadBatch(want, levels.AsSpan(0, want), default, scratch.AsSpan(0, want), out var valuesRead);
                if (read == 0) break;
                convert(scratch.AsSpan(0, (int)valuesRead), converted);
                if (field.IsNullable && valuesRead < read)
                {
                    nulls ??= new bool[rows];
                    for (int i = 0, k = 0; i < read; i++)
                    {
                        if (levels[i] != 0) values[row + i] = converted[k++];
                        else nulls[row + i] = true;
                    }
                }
                else converted.AsSpan(0, read).CopyTo(values.AsSpan(row));
                row += read;
            }
            if (row != rows) throw new DataFormatException(Path, $"column '{field.Name}' holds {row} values, the row group has {rows} rows");
        }
        finally
        {
            ArrayPool<TPhysical>.Shared.Return(scratch);
            ArrayPool<short>.Shared.Return(levels);
        }
        return ParquetColumn.Create(field, rows, nulls, values);
    }

    private const int BatchRows = 64 * 1024;

    /// <summary>
    /// UTF-8 values to strings; a chunk's repeated values (dictionary-encoded categories) share one string, found by their
    /// bytes: a value seen before is neither decoded nor allocated again, and a run of one dictionary entry (the same
    /// pointer within a batch) is not even hashed.
    /// </summary>
    private sealed class StringDecoder
    {
        private readonly Dictionary<byte[], string> _seen = new(ByteContent.Instance);

        public unsafe void Decode(ReadOnlySpan<Native.ByteArray> source, Span<string?> destination)
        {
            var lookup = _seen.GetAlternateLookup<ReadOnlySpan<byte>>();
            // Pointers stay valid (and their bytes unchanged) only within one batch: the run cache starts afresh.
            var lastPointer = IntPtr.Zero;
            var lastLength = -1;
            string? last = null;
            for (var i = 0; i < source.Length; i++)
            {
                var value = source[i];
                if (value.Pointer == lastPointer && value.Length == lastLength)
                {
                    destination[i] = last;
                    continue;
                }
                var bytes = new ReadOnlySpan<byte>((void*)value.Pointer, value.Length);
                if (!lookup.TryGetValue(bytes, out var s))
                {
                    s = Encoding.UTF8.GetString(bytes);
                    if (_seen.Count < 4096) lookup[bytes] = s;
                }
                destination[i] = last = s;
                lastPointer = value.Pointer;
                lastLength = value.Length;
            }
        }
    }

    /// <summary>Byte arrays equal by content; spans look them up without an array.</summary>
    private sealed class ByteContent : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteContent Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] bytes) => GetHashCode((ReadOnlySpan<byte>)bytes);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }

    /// <summary>
    /// Hot path: an INT32/INT64/FLOAT/DOUBLE column chunk (DECIMAL scaled) as doubles, nulls as NaN, read with the
    /// physical reader straight into <paramref name="destination"/> (DOUBLE) or a pooled buffer; no per-value allocation.
    /// Binary DECIMAL and FLOAT16 columns are converted too. Returns the row count written.
    /// </summary>
    public int ReadDoubles(int rowGroup, string columnName, Span<double> destination)
    {
        var rows = (int)RowGroupRowCount(rowGroup);
        var column = ColumnIndex(columnName);
        var field = Schema.Fields[column];
        if (destination.Length < rows) throw new ArgumentException($"destination holds {destination.Length} values, the row group has {rows} rows", nameof(destination));
        if (field.PhysicalType is PhysicalType.ByteArray or PhysicalType.FixedLenByteArray && field.LogicalKind is LogicalKind.Decimal or LogicalKind.Float16)
        {
            var values = ReadColumn(rowGroup, columnName);
            for (var i = 0; i < rows; i++) destination[i] = values.GetDouble(i);
            return rows;
        }
        if (field.PhysicalType is not (PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double))
            throw new ArgumentException($"column '{columnName}' is {field.PhysicalType}, not numeric", nameof(columnName));
        var scale = field.Logical is { Kind: LogicalKind.Decimal } d ? d.Scale : 0;
        var target = destination[..rows];
        lock (_gate)
        {
            var error = GuardSpan(column, rowGroup, field, rows, scale, target);
            if (error is not null) throw error;
        }
        return rows;
    }

    // Spans cannot enter lambdas: the guard of ReadDoubles is written out.
    private Exception? GuardSpan(int column, int rowGroup, ParquetField field, int rows, int scale, Span<double> target)
    {
        try
        {
            using var reader = Column(rowGroup, column);
            var row = field.PhysicalType switch
            {
                PhysicalType.Double => ReadDoublesInto((Native.ColumnReader<double>)reader, field, target),
                PhysicalType.Float => Widen<float>((Native.ColumnReader<float>)reader, field, target, scale),
                PhysicalType.Int32 => Widen<int>((Native.ColumnReader<int>)reader, field, target, scale),
                _ => Widen<long>((Native.ColumnReader<long>)reader, field, target, scale),
            };
            return row == rows ? null : new DataFormatException(Path, $"column '{field.Name}' holds {row} values, row group {rowGroup} has {rows} rows");
        }
        catch (Exception e) when (ParquetTypes.IsFileFault(e))
        {
            return new DataFormatException(Path, ParquetTypes.CleanMessage(e.Message), e);
        }
    }

    private static int ReadDoublesInto(Native.ColumnReader<double> reader, ParquetField field, Span<double> target)
    {
        var levels = field.IsNullable ? ArrayPool<short>.Shared.Rent(Math.Min(Math.Max(target.Length, 1), BatchRows)) : null;
        try
        {
            var row = 0;
            while (row < target.Length && reader.HasNext)
            {
                var want = Math.Min(target.Length - row, levels?.Length ?? target.Length);
                var part = target.Slice(row, want);
                var read = (int)reader.ReadBatch(want, levels is null ? default : levels.AsSpan(0, want), default, part, out var valuesRead);
                if (read == 0) break;
                if (valuesRead < read) Spread(part[..read], levels.AsSpan(0, read), (int)valuesRead);
                row += read;
            }
            return row;
        }
        finally
        {
            if (levels is not null) ArrayPool<short>.Shared.Return(levels);
        }
    }

    /// <summary>Moves the dense values of a batch to their rows (backwards, in place) and puts NaN at the nulls.</summary>
    private static void Spread(Span<double> values, ReadOnlySpan<short> levels, int present)
    {
        var k = present - 1;
        for (var i = values.Length - 1; i >= 0; i--) values[i] = levels[i] != 0 ? values[k--] : double.NaN;
    }

    private static int Widen<T>(Native.ColumnReader<T> reader, ParquetField field, Span<double> target, int scale) where T : unmanaged
    {
        var size = Math.Min(Math.Max(target.Length, 1), BatchRows);
        var scratch = ArrayPool<T>.Shared.Rent(size);
        var levels = field.IsNullable ? ArrayPool<short>.Shared.Rent(size) : null;
        try
        {
            var row = 0;
            while (row < target.Length && reader.HasNext)
            {
                var want = Math.Min(target.Length - row, size);
                var read = (int)reader.ReadBatch(want, levels is null ? default : levels.AsSpan(0, want), default, scratch.AsSpan(0, want), out var valuesRead);
                if (read == 0) break;
                var part = target.Slice(row, read);
                var dense = scratch.AsSpan(0, (int)valuesRead);
                for (var i = 0; i < dense.Length; i++) part[i] = ToDouble(dense[i], scale);
                if (valuesRead < read) Spread(part, levels.AsSpan(0, read), (int)valuesRead);
                row += read;
            }
            return row;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
            if (levels is not null) ArrayPool<short>.Shared.Return(levels);
        }
    }

    private static double ToDouble<T>(T value, int scale) where T : unmanaged
    {
        // The JIT specialises per T: no boxing, one branch.
        if (typeof(T) == typeof(float)) return Unsafe.As<T, float>(ref value);
        long unscaled = typeof(T) == typeof(int) ? Unsafe.As<T, int>(ref value) : Unsafe.As<T, long>(ref value);
        return scale == 0 ? unscaled : DecimalValue.Scale(unscaled, scale);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _group?.Dispose();
            _group = null;
            _file.Dispose();
            _input?.Dispose();
        }
    }

    public override string ToString() => new StringBuilder().Append(Path).Append(" (").Append(TotalRows).Append(" rows)").ToString();
}
