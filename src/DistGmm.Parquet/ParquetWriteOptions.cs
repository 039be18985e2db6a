namespace DistGmm.Parquet;

/// <summary>Options of <see cref="ParquetFileWriter"/>.</summary>
public sealed class ParquetWriteOptions
{
    /// <summary>UNCOMPRESSED, SNAPPY (default), GZIP or BROTLI.</summary>
    public CompressionCodec Codec { get; set; } = CompressionCodec.Snappy;

    /// <summary>Maximum rows per row group; a larger <see cref="ParquetFileWriter.WriteRowGroup"/> call is split.</summary>
    public int RowGroupSize { get; set; } = 128 * 1024;

    /// <summary>Dictionary-encode columns where it makes them smaller (never booleans), else PLAIN.</summary>
    public bool Dictionary { get; set; } = true;

    /// <summary>Target uncompressed size of a data page in bytes.</summary>
    public int PageSize { get; set; } = 1024 * 1024;

    /// <summary>At most this many distinct values per column chunk dictionary before falling back to PLAIN.</summary>
    public int MaxDictionaryEntries { get; set; } = 1 << 16;

    /// <summary>File-level key/value metadata (e.g. the dataset manifest).</summary>
    public Dictionary<string, string> KeyValueMetadata { get; set; } = new(StringComparer.Ordinal);

    public string CreatedBy { get; set; } = "DistGmm.Parquet version 1.0";
}
