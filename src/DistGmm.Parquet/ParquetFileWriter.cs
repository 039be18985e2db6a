using DistGmm.Parquet.Compression;
using DistGmm.Parquet.Format;
using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet;

/// <summary>
/// Streaming Parquet writer for flat tables: each <see cref="WriteRowGroup"/> call encodes and writes its columns
/// at once (memory bounded by one row group); <see cref="Dispose"/> writes the footer.
/// </summary>
public sealed class ParquetFileWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetSchema _schema;
    private readonly ParquetWriteOptions _options;
    private readonly ColumnChunkWriter _chunkWriter;
    private readonly List<RowGroup> _rowGroups = [];
    private long _rows;
    private bool _disposed;

    public ParquetFileWriter(string path, ParquetSchema schema, ParquetWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _options = options ?? new ParquetWriteOptions();
        if (!PageCompression.CanWrite(_options.Codec))
            throw new ArgumentException($"Cannot write codec {PageCompression.Name(_options.Codec)}; use UNCOMPRESSED, SNAPPY, GZIP or BROTLI.", nameof(options));
        if (_options.RowGroupSize <= 0) throw new ArgumentException("RowGroupSize must be positive.", nameof(options));
        if (_options.PageSize <= 0) throw new ArgumentException("PageSize must be positive.", nameof(options));
        _chunkWriter = new ColumnChunkWriter(_options);
        _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        _stream.Write("PAR1"u8);
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
        int count = columns[0].Count;
        for (int c = 0; c < columns.Count; c++)
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
        for (int start = 0; start < count || (count == 0 && start == 0); start += _options.RowGroupSize)
        {
            int rows = Math.Min(_options.RowGroupSize, count - start);
            WriteSlice(columns, start, rows);
            if (count == 0) break;
        }
    }

    private void WriteSlice(IReadOnlyList<ParquetColumn> columns, int start, int rows)
    {
        var group = new RowGroup { NumRows = rows, FileOffset = _stream.Position };
        long groupStart = _stream.Position;
        foreach (var column in columns)
        {
            long chunkStart = _stream.Position;
            var meta = _chunkWriter.Write(_stream, column, start, rows);
            group.Columns.Add(new ColumnChunk { FileOffset = chunkStart, MetaData = meta });
            group.TotalByteSize += meta.TotalUncompressedSize;
        }
        group.TotalCompressedSize = _stream.Position - groupStart;
        _rowGroups.Add(group);
        _rows += rows;
    }

    private FileMetaData BuildFooter()
    {
        var meta = new FileMetaData { Version = 2, NumRows = _rows, RowGroups = _rowGroups, CreatedBy = _options.CreatedBy };
        meta.Schema.Add(new SchemaElement { Name = "schema", NumChildren = _schema.Fields.Count });
        foreach (var f in _schema.Fields)
        {
            var logical = f.Logical is { Kind: not (LogicalKind.None or LogicalKind.Unknown or LogicalKind.Other) } l ? l : null;
            meta.Schema.Add(new SchemaElement
            {
                Type = (int)f.PhysicalType,
                TypeLength = f.TypeLength,
                RepetitionType = f.IsNullable ? 1 : 0,
                Name = f.Name,
                Logical = logical,
                ConvertedType = logical is null ? null : LogicalTypeCodec.ToConverted(logical),
                Scale = logical?.Scale ?? 0,
                Precision = logical?.Precision ?? 0,
            });
        }
        foreach (var (key, value) in _options.KeyValueMetadata) meta.KeyValueMetadata.Add(new KeyValue { Key = key, Value = value });
        return meta;
    }

    /// <summary>Writes the footer and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            var writer = new CompactWriter();
            BuildFooter().Write(writer);
            _stream.Write(writer.Written);
            Span<byte> tail = stackalloc byte[8];
            BitConverter.TryWriteBytes(tail, writer.Written.Length);
            "PAR1"u8.CopyTo(tail[4..]);
            _stream.Write(tail);
        }
        finally
        {
            _stream.Dispose();
        }
    }
}
