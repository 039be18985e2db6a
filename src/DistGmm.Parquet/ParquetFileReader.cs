using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;
using DistGmm.Parquet.Encodings;
using DistGmm.Parquet.Format;
using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet;

/// <summary>
/// Reads flat Parquet files. Opening parses and validates the footer; each <see cref="ReadColumn"/> reads only the
/// bytes of one column chunk (projection + row-group selection), so memory is bounded by one chunk. Instances are
/// safe to use from several threads at once (positional reads, no shared scratch).
/// </summary>
public sealed class ParquetFileReader : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;
    private static ReadOnlySpan<byte> EncryptedMagic => "PARE"u8;

    private readonly ByteSource _source;
    private readonly FileMetaData _meta;
    private readonly long _fileLength;
    private readonly long _footerOffset;

    private ParquetFileReader(string path, ByteSource source, long fileLength, FileMetaData meta, long footerOffset, ParquetSchema schema)
    {
        Path = path;
        _source = source;
        _fileLength = fileLength;
        _meta = meta;
        _footerOffset = footerOffset;
        Schema = schema;
        var kv = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pair in meta.KeyValueMetadata) kv[pair.Key] = pair.Value;
        KeyValueMetadata = new ReadOnlyDictionary<string, string?>(kv);
    }

    public string Path { get; }

    public ParquetSchema Schema { get; }

    public long TotalRows => _meta.NumRows;

    public int RowGroupCount => _meta.RowGroups.Count;

    public IReadOnlyDictionary<string, string?> KeyValueMetadata { get; }

    public string? CreatedBy => _meta.CreatedBy;

    public int FormatVersion => _meta.Version;

    public long FileLength => _fileLength;

    public long RowGroupRowCount(int rowGroup) => RowGroupAt(rowGroup).NumRows;

    /// <summary>Opens and validates a file. Errors: <see cref="ParquetFormatException"/> (file, offset, message).</summary>
    public static ParquetFileReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ParquetFormatException(path, 0, $"cannot open the file: {e.Message}", e);
        }
        return Open(path, new FileSource(handle));
    }

    /// <summary>Reads a Parquet file held in memory; <paramref name="name"/> is used in error messages.</summary>
    public static ParquetFileReader Open(ReadOnlyMemory<byte> data, string name) => Open(name, new MemorySource(data));

    private static ParquetFileReader Open(string path, ByteSource source)
    {
        try
        {
            long length = source.Length;
            var (meta, footerOffset) = ReadFooter(path, source, length);
            var schema = BuildSchema(path, meta, footerOffset);
            Validate(path, meta, schema, length, footerOffset);
            return new ParquetFileReader(path, source, length, meta, footerOffset, schema);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static (FileMetaData, long) ReadFooter(string path, ByteSource handle, long length)
    {
        if (length < 12) throw new ParquetFormatException(path, 0, $"file of {length} bytes is too short to be Parquet (needs at least 12)");
        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        ReadExactly(path, handle, head, 0);
        ReadExactly(path, handle, tail, length - 8);
        if (tail[4..].SequenceEqual(EncryptedMagic))
            throw new ParquetFormatException(path, length - 4, "encrypted footer (magic PARE) is not supported");
        if (!tail[4..].SequenceEqual(Magic))
            throw new ParquetFormatException(path, length - 4, $"missing trailing magic PAR1 (found {Hex(tail[4..])})");
        if (!head.SequenceEqual(Magic))
            throw new ParquetFormatException(path, 0, $"missing leading magic PAR1 (found {Hex(head)})");
        uint footerLength = BitConverter.ToUInt32(tail[..4]);
        if (footerLength == 0 || footerLength > length - 12)
            throw new ParquetFormatException(path, length - 8, $"footer length {footerLength} does not fit a file of {length} bytes");
        long footerOffset = length - 8 - footerLength;
        var footer = new byte[footerLength];
        ReadExactly(path, handle, footer, footerOffset);
        var reader = new CompactReader(footer, path, footerOffset);
        var meta = FileMetaData.Read(ref reader);
        return (meta, footerOffset);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    private static void ReadExactly(string path, ByteSource source, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = source.Read(buffer[total..], offset + total);
            if (read == 0) throw new ParquetFormatException(path, offset + total, "unexpected end of file");
            total += read;
        }
    }

    private static ParquetSchema BuildSchema(string path, FileMetaData meta, long footerOffset)
    {
        if (meta.HasEncryptionAlgorithm) throw new ParquetFormatException(path, footerOffset, "encrypted file is not supported");
        if (meta.Schema.Count == 0) throw new ParquetFormatException(path, footerOffset, "footer has no schema");
        var root = meta.Schema[0];
        var fields = new List<ParquetField>(meta.Schema.Count - 1);
        for (int i = 1; i < meta.Schema.Count; i++)
        {
            var e = meta.Schema[i];
            if (e.NumChildren > 0 || e.Type is null)
                throw new ParquetFormatException(path, footerOffset, $"nested schema not supported: '{e.Name}' is a group");
            if (e.RepetitionType == 2)
                throw new ParquetFormatException(path, footerOffset, $"nested schema not supported: column '{e.Name}' is REPEATED");
            if (e.Type is < 0 or > 7)
                throw new ParquetFormatException(path, footerOffset, $"column '{e.Name}' has invalid physical type {e.Type}");
            var physical = (PhysicalType)e.Type.Value;
            if (physical == PhysicalType.FixedLenByteArray && e.TypeLength <= 0)
                throw new ParquetFormatException(path, footerOffset, $"column '{e.Name}' is FIXED_LEN_BYTE_ARRAY with invalid length {e.TypeLength}");
            var logical = e.Logical;
            if (logical is null && e.ConvertedType is { } ct) logical = LogicalTypeCodec.FromConverted(ct, e.Precision, e.Scale);
            if (logical is { Kind: LogicalKind.Decimal } d && (d.Scale < 0 || d.Scale > 76 || d.Precision < 0))
                throw new ParquetFormatException(path, footerOffset, $"column '{e.Name}' has invalid DECIMAL({d.Precision},{d.Scale})");
            fields.Add(new ParquetField(e.Name, physical, e.RepetitionType == 1, logical,
                physical == PhysicalType.FixedLenByteArray ? e.TypeLength : 0));
        }
        if (root.NumChildren != fields.Count)
            throw new ParquetFormatException(path, footerOffset, $"nested schema not supported (root declares {root.NumChildren} children, {fields.Count} leaves follow)");
        if (fields.Count == 0) throw new ParquetFormatException(path, footerOffset, "schema has no columns");
        try
        {
            return new ParquetSchema(fields);
        }
        catch (ArgumentException e)
        {
            throw new ParquetFormatException(path, footerOffset, $"invalid schema: {e.Message}");
        }
    }

    private static void Validate(string path, FileMetaData meta, ParquetSchema schema, long fileLength, long footerOffset)
    {
        long rows = 0;
        for (int g = 0; g < meta.RowGroups.Count; g++)
        {
            var rg = meta.RowGroups[g];
            if (rg.NumRows < 0 || rg.NumRows > int.MaxValue)
                throw new ParquetFormatException(path, footerOffset, $"row group {g} has invalid row count {rg.NumRows}");
            rows += rg.NumRows;
            if (rg.Columns.Count != schema.Fields.Count)
                throw new ParquetFormatException(path, footerOffset, $"row group {g} has {rg.Columns.Count} column chunks, the schema {schema.Fields.Count} columns");
            for (int c = 0; c < rg.Columns.Count; c++)
            {
                var chunk = rg.Columns[c];
                var field = schema.Fields[c];
                string where = $"row group {g}, column '{field.Name}'";
                if (chunk.Encrypted || chunk.MetaData is null)
                    throw new ParquetFormatException(path, footerOffset, $"{where}: column metadata missing (encrypted columns are not supported)");
                if (chunk.FilePath is not null)
                    throw new ParquetFormatException(path, footerOffset, $"{where}: column data in another file ('{chunk.FilePath}') is not supported");
                var m = chunk.MetaData;
                if (m.Type != (int)field.PhysicalType)
                    throw new ParquetFormatException(path, footerOffset, $"{where}: chunk type {m.Type} differs from the schema's {field.PhysicalType}");
                if (m.Codec is < 0 or > 7)
                    throw new ParquetFormatException(path, footerOffset, $"{where}: unknown compression codec {m.Codec}");
                if (m.NumValues != rg.NumRows)
                    throw new ParquetFormatException(path, footerOffset, $"{where}: {m.NumValues} values for {rg.NumRows} rows");
                var (start, length) = ChunkRange(m);
                if (rg.NumRows > 0 && (start < 4 || length <= 0 || start + length > footerOffset))
                    throw new ParquetFormatException(path, footerOffset, $"{where}: column chunk [{start}, {start + length}) lies outside the data region [4, {footerOffset})");
                if (length > int.MaxValue)
                    throw new ParquetFormatException(path, start, $"{where}: column chunk of {length} bytes is too large");
            }
        }
        if (rows != meta.NumRows)
            throw new ParquetFormatException(path, footerOffset, $"footer says {meta.NumRows} rows but the row groups hold {rows}");
        _ = fileLength;
    }

    private static (long Start, long Length) ChunkRange(ColumnMetaData m)
    {
        // dictionary_page_offset counts only when positive (some writers store 0 for "none").
        long start = m.DictionaryPageOffset is > 0 and var dpo && dpo < m.DataPageOffset ? dpo : m.DataPageOffset;
        return (start, m.TotalCompressedSize);
    }

    private RowGroup RowGroupAt(int rowGroup)
    {
        if ((uint)rowGroup >= (uint)_meta.RowGroups.Count)
            throw new ArgumentOutOfRangeException(nameof(rowGroup), $"row group {rowGroup} does not exist ({_meta.RowGroups.Count} row groups)");
        return _meta.RowGroups[rowGroup];
    }

    private int ColumnIndex(string columnName)
    {
        int index = Schema.IndexOf(columnName);
        if (index < 0) throw new ArgumentException($"{Path}: no column named '{columnName}'", nameof(columnName));
        return index;
    }

    public ColumnChunkInfo GetColumnChunkInfo(int rowGroup, int column)
    {
        var m = RowGroupAt(rowGroup).Columns[column].MetaData!;
        var s = m.Statistics;
        return new ColumnChunkInfo(Schema.Fields[column].Name, (PhysicalType)m.Type, (CompressionCodec)m.Codec,
            m.Encodings.Select(e => (ParquetEncoding)e).ToArray(), m.NumValues, m.TotalCompressedSize, m.TotalUncompressedSize,
            m.DataPageOffset, m.DictionaryPageOffset,
            s is null ? null : new ColumnStatistics(s.NullCount, s.DistinctCount, s.MinValue ?? s.Min, s.MaxValue ?? s.Max));
    }

    /// <summary>Reads every column (or the named ones) of a row group.</summary>
    public IReadOnlyList<ParquetColumn> ReadRowGroup(int rowGroup, IEnumerable<string>? columns = null) =>
        (columns ?? Schema.Fields.Select(f => f.Name)).Select(name => ReadColumn(rowGroup, name)).ToArray();

    /// <summary>Reads one column chunk; only its bytes are read from the file.</summary>
    public ParquetColumn ReadColumn(int rowGroup, string columnName)
    {
        var rg = RowGroupAt(rowGroup);
        int column = ColumnIndex(columnName);
        var field = Schema.Fields[column];
        int rows = (int)rg.NumRows;
        return field.PhysicalType switch
        {
            PhysicalType.Boolean => Read<bool>(rg, column, rows),
            PhysicalType.Int32 => Read<int>(rg, column, rows),
            PhysicalType.Int64 => Read<long>(rg, column, rows),
            PhysicalType.Float or PhysicalType.Double => Read<double>(rg, column, rows),
            PhysicalType.ByteArray when field.IsString => Read<string?>(rg, column, rows),
            _ => Read<byte[]?>(rg, column, rows),
        };
    }

    private ParquetColumn Read<T>(RowGroup rg, int column, int rows)
    {
        var field = Schema.Fields[column];
        var values = new T[rows];
        bool[]? nulls = null;
        WithPages(rg, column, (pages, decoder) =>
        {
            var dictionary = new DictionaryCache<T>();
            T[] scratch = [];
            int row = 0;
            while (pages.Next(out var page))
            {
                try
                {
                    var dict = dictionary.Get(pages, decoder, page.Encoding);
                    if (page.DefinitionLevels is null || page.NonNullCount == page.NumValues)
                    {
                        decoder.Decode(page.Encoding, page.Values, values.AsSpan(row, page.NumValues), dict);
                    }
                    else
                    {
                        if (scratch.Length < page.NonNullCount) scratch = new T[Math.Max(page.NonNullCount, scratch.Length * 2)];
                        decoder.Decode(page.Encoding, page.Values, scratch.AsSpan(0, page.NonNullCount), dict);
                        nulls ??= new bool[rows];
                        var levels = page.DefinitionLevels;
                        for (int i = 0, k = 0; i < page.NumValues; i++)
                        {
                            if (levels[i] != 0) values[row + i] = scratch[k++];
                            else nulls[row + i] = true;
                        }
                    }
                }
                catch (DecodeException e)
                {
                    throw pages.Error(page.FileOffset, e);
                }
                row += page.NumValues;
            }
        });
        return ParquetColumn.Create(field, rows, nulls, values);
    }

    /// <summary>
    /// Columnar fast path: reads an INT32/INT64/FLOAT/DOUBLE column chunk (DECIMAL scaled) as doubles, nulls as NaN,
    /// without boxing or per-value allocation. Binary DECIMAL/FLOAT16 columns are converted too (not allocation-free).
    /// Returns the row count written.
    /// </summary>
    public int ReadDoubles(int rowGroup, string columnName, Span<double> destination)
    {
        var rg = RowGroupAt(rowGroup);
        int column = ColumnIndex(columnName);
        var field = Schema.Fields[column];
        int rows = (int)rg.NumRows;
        if (destination.Length < rows) throw new ArgumentException($"destination holds {destination.Length} values, the row group has {rows} rows", nameof(destination));
        if (field.PhysicalType is PhysicalType.ByteArray or PhysicalType.FixedLenByteArray && field.LogicalKind is LogicalKind.Decimal or LogicalKind.Float16)
        {
            // Binary-stored DECIMAL/FLOAT16: rare in numeric shards, so decode values first, then convert.
            var values = ReadColumn(rowGroup, columnName);
            for (int i = 0; i < rows; i++) destination[i] = values.GetDouble(i);
            return rows;
        }
        if (field.PhysicalType is not (PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double))
            throw new ArgumentException($"column '{columnName}' is {field.PhysicalType}, not numeric", nameof(columnName));
        var chunk = ReadChunk(rg, column, out var pages, out var decoder);
        try
        {
            DoubleColumnReader.Read(pages, decoder, field, destination[..rows]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return rows;
    }

    private void WithPages(RowGroup rg, int column, Action<PageReader, ValueDecoder> body)
    {
        var chunk = ReadChunk(rg, column, out var pages, out var decoder);
        try
        {
            body(pages, decoder);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private byte[] ReadChunk(RowGroup rg, int column, out PageReader pages, out ValueDecoder decoder)
    {
        var field = Schema.Fields[column];
        var m = rg.Columns[column].MetaData!;
        var codec = (CompressionCodec)m.Codec;
        var (start, length) = ChunkRange(m);
        if (rg.NumRows > 0 && !Compression.PageCompression.CanRead(codec))
            throw new ParquetFormatException(Path, start, $"column '{field.Name}': compression codec {Compression.PageCompression.Name(codec)} is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, BROTLI)");
        int size = rg.NumRows == 0 ? 0 : (int)length;
        var chunk = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
        try
        {
            ReadExactly(Path, _source, chunk.AsSpan(0, size), start);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }
        pages = new PageReader(Path, chunk, size, start, field, codec, rg.NumRows);
        decoder = new ValueDecoder(field.PhysicalType, field.TypeLength);
        return chunk;
    }

    public void Dispose() => _source.Dispose();

    public override string ToString() => new StringBuilder().Append(Path).Append(" (").Append(TotalRows).Append(" rows)").ToString();
}

/// <summary>Decodes the chunk's dictionary page once per dictionary and hands it to dictionary-encoded pages.</summary>
internal sealed class DictionaryCache<T>
{
    private T[]? _values;
    private int _version;

    public T[]? Get(PageReader pages, ValueDecoder decoder, ParquetEncoding encoding)
    {
        if (encoding is not (ParquetEncoding.PlainDictionary or ParquetEncoding.RleDictionary)) return null;
        if (pages.DictionaryVersion == 0) return null;
        if (_version != pages.DictionaryVersion)
        {
            var values = new T[pages.DictionaryCount];
            try
            {
                decoder.Decode(ParquetEncoding.Plain, pages.DictionaryBytes, values.AsSpan(), null);
            }
            catch (DecodeException e)
            {
                throw pages.Error(pages.DictionaryFileOffset, e);
            }
            _values = values;
            _version = pages.DictionaryVersion;
        }
        return _values;
    }
}

/// <summary>Positional reads from a file or from memory.</summary>
internal abstract class ByteSource : IDisposable
{
    public abstract long Length { get; }

    public abstract int Read(Span<byte> buffer, long offset);

    public virtual void Dispose() { }
}

internal sealed class FileSource(Microsoft.Win32.SafeHandles.SafeFileHandle handle) : ByteSource
{
    public override long Length { get; } = RandomAccess.GetLength(handle);

    public override int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

    public override void Dispose() => handle.Dispose();
}

internal sealed class MemorySource(ReadOnlyMemory<byte> data) : ByteSource
{
    public override long Length => data.Length;

    public override int Read(Span<byte> buffer, long offset)
    {
        if (offset >= data.Length) return 0;
        int n = (int)Math.Min(buffer.Length, data.Length - offset);
        data.Span.Slice((int)offset, n).CopyTo(buffer);
        return n;
    }
}
