using System.Security.Cryptography;
using DistGmm.Data.Parquet;

namespace DistGmm.Data;

/// <summary>The Parquet layout of a shard: <c>rowId</c> INT64, numeric columns DOUBLE, text columns STRING (nullable).</summary>
internal static class ShardFiles
{
    public const string RowIdColumn = "rowId";

    public static string FileName(int shard) => $"shard-{shard:D5}.parquet";

    public static ParquetSchema Schema(IReadOnlyList<ColumnInfo> dataColumns) => new(
    [
        ParquetField.Int64(RowIdColumn),
        .. dataColumns.Select(c => c.Role == ColumnRole.Numeric
            ? ParquetField.Double(c.Name, nullable: true)
            : ParquetField.String(c.Name, nullable: true)),
    ]);

    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Opens shard <paramref name="shard"/>. With <paramref name="verify"/> the file is read once, hashed as it
    /// streams into memory, compared with the manifest's SHA-256, and parsed from those very bytes (no second read,
    /// nothing parsed that was not verified); a mismatch names the shard and both digests.
    /// </summary>
    public static ParquetFileReader Open(DatasetManifest manifest, int shard, bool verify)
    {
        var path = manifest.ShardPath(shard);
        if (!File.Exists(path)) throw new DataFormatException(path, "shard file not found");
        if (!verify) return ParquetFileReader.Open(path);
        byte[] bytes;
        string actual;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            bytes = GC.AllocateUninitializedArray<byte>(checked((int)stream.Length));
            var at = 0;
            while (at < bytes.Length)
            {
                var n = stream.Read(bytes, at, Math.Min(1 << 20, bytes.Length - at));
                if (n == 0) throw new DataFormatException(path, $"the file ended after {at} of {bytes.Length} bytes while it was read");
                hash.AppendData(bytes, at, n);
                at += n;
            }
            actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        var expected = manifest.Shards[shard].Sha256;
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(path, $"SHA-256 {actual} differs from the manifest's {expected}: the shard changed after ingestion " +
                                                "(re-ingest, or pass --no-verify to use it as it is)");
        return ParquetFileReader.Open(bytes, path);
    }

    /// <summary>Reads a whole shard of a dataset, verified against the manifest unless <paramref name="verify"/> is false.</summary>
    public static ColumnBatch Read(DatasetManifest manifest, int shard, IReadOnlyList<ColumnInfo> dataColumns, bool verify)
    {
        using var reader = Open(manifest, shard, verify);
        return Read(reader, dataColumns);
    }

    /// <summary>Reads a whole shard (all row groups) into one batch: raw values, row ids, labels.</summary>
    public static ColumnBatch Read(string path, IReadOnlyList<ColumnInfo> dataColumns)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "shard file not found");
        using var reader = ParquetFileReader.Open(path);
        return Read(reader, dataColumns);
    }

    private static ColumnBatch Read(ParquetFileReader reader, IReadOnlyList<ColumnInfo> dataColumns)
    {
        RequireColumns(reader, dataColumns);
        var batch = new ColumnBatch(dataColumns, checked((int)reader.TotalRows));
        var offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++) offset += ReadRowGroup(reader, g, dataColumns, batch, offset);
        batch.Count = offset;
        return batch;
    }

    /// <summary>Fails with the shard's name when it lacks one of <paramref name="dataColumns"/>.</summary>
    internal static void RequireColumns(ParquetFileReader reader, IReadOnlyList<ColumnInfo> dataColumns)
    {
        foreach (var column in dataColumns)
            if (reader.Schema.IndexOf(column.Name) < 0)
                throw new DataFormatException(reader.Path, $"shard has no column '{column.Name}'");
    }

    /// <summary>Row group <paramref name="group"/>'s row ids and raw values into <paramref name="batch"/> from row <paramref name="offset"/>; returns its rows.</summary>
    internal static int ReadRowGroup(ParquetFileReader reader, int group, IReadOnlyList<ColumnInfo> dataColumns, ColumnBatch batch, int offset)
    {
        var rows = checked((int)reader.RowGroupRowCount(group));
        reader.ReadColumn(group, RowIdColumn).Int64s.AsSpan(0, rows).CopyTo(batch.RowIds.AsSpan(offset));
        for (var c = 0; c < dataColumns.Count; c++)
        {
            if (batch.Numbers[c] is { } numbers)
            {
                reader.ReadDoubles(group, dataColumns[c].Name, numbers.AsSpan(offset, rows));
                continue;
            }
            var column = reader.ReadColumn(group, dataColumns[c].Name);
            var texts = batch.Texts[c]!;
            var strings = column.Strings!;
            for (var i = 0; i < rows; i++) texts[offset + i] = column.IsNull(i) ? null : strings[i];
        }
        return rows;
    }
}

/// <summary>Writes column batches as row groups of one shard file.</summary>
internal sealed class ShardWriter : IDisposable
{
    private readonly ParquetSchema _schema;
    private readonly ParquetFileWriter _writer;
    private readonly bool[][] _nulls;
    private readonly ParquetColumn[] _columns;

    public ShardWriter(string path, IReadOnlyList<ColumnInfo> dataColumns, int rowGroupSize, IDictionary<string, string> metadata,
        CompressionCodec codec = CompressionCodec.Snappy)
    {
        Path = path;
        _schema = ShardFiles.Schema(dataColumns);
        // One data page per column chunk of a 64k-row group (8 bytes × 65,536 = 512 KB of doubles fits a 1 MB page):
        // the loader reads whole chunks, and fewer pages mean fewer page headers and decompressor calls.
        var options = new ParquetWriteOptions { Codec = codec, RowGroupSize = rowGroupSize, PageSize = 1 << 20 };
        foreach (var (key, value) in metadata) options.KeyValueMetadata[key] = value;
        _writer = new ParquetFileWriter(path, _schema, options);
        _nulls = dataColumns.Select(_ => Array.Empty<bool>()).ToArray();
        _columns = new ParquetColumn[_schema.Fields.Count];
    }

    public string Path { get; }

    public long Rows { get; private set; }

    public void Write(ColumnBatch batch)
    {
        if (batch.Count == 0) return;
        var count = batch.Count;
        _columns[0] = ParquetColumn.FromInt64s(_schema.Fields[0], batch.RowIds, count);
        for (var c = 0; c < batch.Columns.Count; c++)
        {
            var field = _schema.Fields[c + 1];
            if (batch.Numbers[c] is { } numbers)
            {
                var values = numbers.AsSpan(0, count);
                bool[]? isNull = null;
                if (HasNaN(values))
                {
                    if (_nulls[c].Length < count) _nulls[c] = new bool[batch.Capacity];
                    isNull = _nulls[c];
                    for (var i = 0; i < count; i++) isNull[i] = double.IsNaN(values[i]);
                }
                _columns[c + 1] = ParquetColumn.FromDoubles(field, numbers, count, isNull);
            }
            else _columns[c + 1] = ParquetColumn.FromStrings(field, batch.Texts[c]!, count);
        }
        _writer.WriteRowGroup(_columns);
        Rows += count;
    }

    private static bool HasNaN(ReadOnlySpan<double> values)
    {
        foreach (var v in values)
            if (double.IsNaN(v)) return true;
        return false;
    }

    public void Dispose() => _writer.Dispose();
}
