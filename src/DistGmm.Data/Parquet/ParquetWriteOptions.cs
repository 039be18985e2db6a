namespace DistGmm.Data.Parquet;

/// <summary>Options of <see cref="ParquetFileWriter"/>.</summary>
public sealed class ParquetWriteOptions
{
    /// <summary>UNCOMPRESSED, SNAPPY (default), GZIP, BROTLI, ZSTD or LZ4_RAW.</summary>
    public CompressionCodec Codec { get; set; } = CompressionCodec.Snappy;

    /// <summary>Maximum rows per row group; a larger <see cref="ParquetFileWriter.WriteRowGroup"/> call is split.</summary>
    public int RowGroupSize { get; set; } = 128 * 1024;

    /// <summary>Dictionary-encode columns (never booleans); a chunk whose dictionary outgrows
    /// <see cref="DictionaryPageSizeLimit"/> falls back to PLAIN for its remaining pages.</summary>
    public bool Dictionary { get; set; } = true;

    /// <summary>Target uncompressed size of a data page in bytes.</summary>
    public int PageSize { get; set; } = 1024 * 1024;

    /// <summary>Largest dictionary page in bytes before a column chunk falls back to PLAIN.</summary>
    public int DictionaryPageSizeLimit { get; set; } = 1024 * 1024;

    /// <summary>File-level key/value metadata (e.g. the dataset manifest).</summary>
    public Dictionary<string, string> KeyValueMetadata { get; set; } = new(StringComparer.Ordinal);

    public string CreatedBy { get; set; } = "DistGmm (" + ParquetTypes.LibraryVersion + ")";
}
