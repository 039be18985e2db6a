using System.Runtime.InteropServices;
using System.Text;
using Native = ParquetSharp;

namespace DistGmm.Data.Parquet;

/// <summary>
/// Streaming Parquet writer for flat tables on ParquetSharp: each <see cref="WriteRowGroup"/> call writes its columns
/// at once (memory bounded by one row group); <see cref="Dispose"/> writes the footer. Statistics are always written.
/// </summary>
public sealed class ParquetFileWriter : IDisposable
{
    private readonly string _path;
    private readonly ParquetSchema _schema;
    private Native.ParquetFileWriter? _writer;
    private readonly ParquetWriteOptions _options;
    private long _rows;
    private bool _disposed;
    // Reused from one row group to the next: a 64k-row group needs ~1 MB of value descriptors per string column, and
    // fresh (or shared-pool) arrays of that size land on the large-object heap and drive the process's peak memory.
    private readonly Dictionary<(Type, int Slot), Array> _scratch = [];

    public ParquetFileWriter(string path, ParquetSchema schema, ParquetWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _options = options ?? new ParquetWriteOptions();
        if (_options.RowGroupSize <= 0) throw new ArgumentException("RowGroupSize must be positive.", nameof(options));
        if (_options.PageSize <= 0) throw new ArgumentException("PageSize must be positive.", nameof(options));
        ParquetTypes.Codec(_options.Codec); // an unwritable codec fails here, not at the first row group
        _path = path;
        File.Create(path).Dispose(); // the path is writable (and the file exists) from now on
    }

    /// <summary>
    /// The native writer is made with the first rows: dictionary encoding is switched off for the columns whose first
    /// row group has mostly distinct values (there a dictionary only adds its indices to the same values).
    /// </summary>
    private Native.ParquetFileWriter Open(IReadOnlyList<ParquetColumn>? first)
    {
        if (_writer is not null) return _writer;
        var codec = ParquetTypes.Codec(_options.Codec);
        using var builder = new Native.WriterPropertiesBuilder();
        // The system allocator, not Arrow's default (mimalloc): measured on an 8-shard ingest of 4.9M rows, mimalloc kept
        // ~50 MB more resident for the same writes and was no faster.
        builder.MemoryPool(Native.MemoryPool.SystemMemoryPool());
        builder.Compression(codec).DataPagesize(_options.PageSize).DictionaryPagesizeLimit(_options.DictionaryPageSizeLimit)
            .MaxRowGroupLength(_options.RowGroupSize).EnableStatistics().CreatedBy(_options.CreatedBy);
        if (_options.Dictionary)
        {
            builder.EnableDictionary();
            if (first is not null)
                foreach (var column in first)
                    if (column.Field.PhysicalType != PhysicalType.Boolean && !DictionaryPays(column)) builder.DisableDictionary(column.Field.Name);
        }
        else builder.DisableDictionary();
        using var properties = builder.Build();
        var schema = _schema;
        var path = _path;
        var nodes = schema.Fields.Select(f => (Native.Schema.Node)new Native.Schema.PrimitiveNode(f.Name,
            f.IsNullable ? Native.Repetition.Optional : Native.Repetition.Required, ParquetTypes.Logical(f.Logical),
            ParquetTypes.Physical(f.PhysicalType), f.PhysicalType == PhysicalType.FixedLenByteArray ? f.TypeLength : -1)).ToArray();
        using var root = new Native.Schema.GroupNode("schema", Native.Repetition.Required, nodes);
        try
        {
            return _writer = new Native.ParquetFileWriter(path, root, properties, _options.KeyValueMetadata);
        }
        catch (Native.ParquetException e)
        {
            throw new IOException($"{path}: cannot write Parquet: {ParquetTypes.CleanMessage(e.Message)}", e);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }

    /// <summary>At most half of the (first 16,384) values distinct: a dictionary makes the chunk smaller.</summary>
    private static bool DictionaryPays(ParquetColumn column)
    {
        var n = Math.Min(column.Count, 16_384);
        if (n == 0) return true;
        // Typed sets (no boxing per value); a null counts as one more distinct value.
        return column.Doubles is { } d ? FewDistinct(column, n, i => BitConverter.DoubleToInt64Bits(d[i]))
            : column.Int64s is { } l ? FewDistinct(column, n, i => l[i])
            : column.Int32s is { } x ? FewDistinct(column, n, i => x[i])
            : column.Strings is { } s ? FewDistinct(column, n, i => s[i]!)
            : column.Binaries is { } b ? FewDistinct(column, n, i => Convert.ToHexString(b[i]!))
            : FewDistinct(column, n, _ => 0);
    }

    private static bool FewDistinct<T>(ParquetColumn column, int n, Func<int, T> value) where T : notnull
    {
        var distinct = new HashSet<T>();
        var nulls = 0;
        for (var i = 0; i < n && (distinct.Count + nulls) * 2 <= n; i++)
        {
            if (column.IsNull(i)) nulls = 1;
            else distinct.Add(value(i));
        }
        return (distinct.Count + nulls) * 2 <= n;
    }

    public ParquetSchema Schema => _schema;

    public long RowsWritten => _rows;

    /// <summary>Writes one column per schema field (same order, equal counts); splits into row groups of at most
    /// <see cref="ParquetWriteOptions.RowGroupSize"/> rows.</summary>
    public void WriteRowGroup(IReadOnlyList<ParquetColumn> columns)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count != _schema.Fields.Count)
            throw new ArgumentException($"Got {columns.Count} columns, the schema has {_schema.Fields.Count}.", nameof(columns));
        var count = columns[0].Count;
        for (var c = 0; c < columns.Count; c++)
        {
            var expected = _schema.Fields[c];
            var got = columns[c].Field;
            if (got.Name != expected.Name || got.PhysicalType != expected.PhysicalType || got.IsNullable != expected.IsNullable || got.TypeLength != expected.TypeLength)
                throw new ArgumentException($"Column {c} is {got}, the schema expects {expected}.", nameof(columns));
            if (columns[c].Count != count)
                throw new ArgumentException($"Column '{got.Name}' has {columns[c].Count} rows, column '{columns[0].Field.Name}' has {count}.", nameof(columns));
            if (got.IsString != expected.IsString)
                throw new ArgumentException($"Column '{got.Name}': string/binary annotation differs from the schema.", nameof(columns));
        }
        for (var start = 0; start < count || (count == 0 && start == 0); start += _options.RowGroupSize)
        {
            var rows = Math.Min(_options.RowGroupSize, count - start);
            using (var group = Open(columns).AppendRowGroup())
                foreach (var column in columns)
                {
                    using var writer = group.NextColumn();
                    WriteColumn(writer, column, start, rows);
                }
            _rows += rows;
            if (count == 0) break;
        }
    }

    private void WriteColumn(Native.ColumnWriter writer, ParquetColumn column, int start, int rows)
    {
        var field = column.Field;
        switch (field.PhysicalType)
        {
            case PhysicalType.Boolean: Write((Native.ColumnWriter<bool>)writer, column, start, rows, column.Booleans!); break;
            case PhysicalType.Int32: Write((Native.ColumnWriter<int>)writer, column, start, rows, column.Int32s!); break;
            case PhysicalType.Int64: Write((Native.ColumnWriter<long>)writer, column, start, rows, column.Int64s!); break;
            case PhysicalType.Double: Write((Native.ColumnWriter<double>)writer, column, start, rows, column.Doubles!); break;
            case PhysicalType.Float:
            {
                var floats = Scratch<float>(rows, slot: 1); // slot 1: Write's own scratch (slot 0) compacts it
                for (var i = 0; i < rows; i++) floats[i] = (float)column.Doubles![start + i];
                Write((Native.ColumnWriter<float>)writer, column, start, rows, floats, offset: 0);
                break;
            }
            case PhysicalType.Int96:
            {
                var values = Scratch<Native.Int96>(rows, slot: 1);
                for (var i = 0; i < rows; i++)
                    if (column.Binaries![start + i] is { } b) values[i] = MemoryMarshal.Read<Native.Int96>(b);
                Write((Native.ColumnWriter<Native.Int96>)writer, column, start, rows, values, offset: 0);
                break;
            }
            default:
                WriteBytes(writer, column, start, rows);
                break;
        }
    }

    /// <summary>Writes rows [start, start+rows) of a column: definition levels for nullable fields, non-null values only.</summary>
    private void Write<T>(Native.ColumnWriter<T> writer, ParquetColumn column, int start, int rows, T[] values, int? offset = null) where T : unmanaged
    {
        var from = offset ?? start;
        if (!column.Field.IsNullable)
        {
            writer.WriteBatch(rows, default, default, values.AsSpan(from, rows));
            return;
        }
        var levels = Scratch<short>(rows);
        var dense = Scratch<T>(rows);
        var n = 0;
        for (var i = 0; i < rows; i++)
        {
            var present = !column.IsNull(start + i);
            levels[i] = present ? (short)1 : (short)0;
            if (present) dense[n++] = values[from + i];
        }
        writer.WriteBatch(rows, levels.AsSpan(0, rows), default, dense.AsSpan(0, n));
    }

    /// <summary>This writer's reusable array of at least <paramref name="length"/> elements of <typeparamref name="T"/>.</summary>
    private T[] Scratch<T>(int length, int slot = 0)
    {
        if (_scratch.TryGetValue((typeof(T), slot), out var array) && array.Length >= length) return (T[])array;
        var grown = new T[Math.Max(length, 1)];
        _scratch[(typeof(T), slot)] = grown;
        return grown;
    }

    /// <summary>BYTE_ARRAY (strings as UTF-8) and FIXED_LEN_BYTE_ARRAY: the values are laid out in one pinned buffer.</summary>
    private unsafe void WriteBytes(Native.ColumnWriter writer, ParquetColumn column, int start, int rows)
    {
        var field = column.Field;
        var strings = column.Strings;
        var binaries = column.Binaries;
        // A run of one string (readers share one string per distinct value) is encoded once; its values point at those bytes.
        var total = 0;
        string? previous = null;
        for (var i = 0; i < rows; i++)
        {
            if (strings is null) total += binaries![start + i]?.Length ?? 0;
            else if (strings[start + i] is { } s && !ReferenceEquals(s, previous))
            {
                total += Encoding.UTF8.GetByteCount(s);
                previous = s;
            }
        }
        previous = null;
        var buffer = Scratch<byte>(total);
        var levels = Scratch<short>(rows);
        var offsets = Scratch<(int Offset, int Length)>(rows);
        int n = 0, at = 0;
        for (var i = 0; i < rows; i++)
        {
            int length;
            if (strings is not null)
            {
                if (strings[start + i] is not { } s) { levels[i] = 0; continue; }
                if (ReferenceEquals(s, previous))
                {
                    levels[i] = 1;
                    offsets[n] = offsets[n - 1];
                    n++;
                    continue;
                }
                previous = s;
                length = Encoding.UTF8.GetBytes(s, buffer.AsSpan(at));
            }
            else
            {
                if (binaries![start + i] is not { } b) { levels[i] = 0; continue; }
                b.CopyTo(buffer.AsSpan(at));
                length = b.Length;
            }
            levels[i] = 1;
            offsets[n++] = (at, length);
            at += length;
        }
        var def = field.IsNullable ? levels.AsSpan(0, rows) : default;
        fixed (byte* pinned = buffer)
        {
            if (field.PhysicalType == PhysicalType.FixedLenByteArray)
            {
                var values = Scratch<Native.FixedLenByteArray>(n);
                for (var i = 0; i < n; i++) values[i] = new Native.FixedLenByteArray((IntPtr)(pinned + offsets[i].Offset));
                ((Native.ColumnWriter<Native.FixedLenByteArray>)writer).WriteBatch(rows, def, default, values.AsSpan(0, n));
            }
            else
            {
                var values = Scratch<Native.ByteArray>(n);
                for (var i = 0; i < n; i++) values[i] = new Native.ByteArray((IntPtr)(pinned + offsets[i].Offset), offsets[i].Length);
                ((Native.ColumnWriter<Native.ByteArray>)writer).WriteBatch(rows, def, default, values.AsSpan(0, n));
            }
        }
    }

    /// <summary>Writes the footer and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var writer = Open(null);
        try
        {
            writer.Close();
        }
        finally
        {
            writer.Dispose();
        }
    }
}
