namespace DistGmm.Data.Parquet;

/// <summary>Footer facts about one column chunk (for inspection; reading does not need them).</summary>
public sealed record ColumnChunkInfo(
    string Column,
    PhysicalType PhysicalType,
    CompressionCodec Codec,
    IReadOnlyList<ParquetEncoding> Encodings,
    long NumValues,
    long CompressedSize,
    long UncompressedSize,
    ColumnStatistics? Statistics);

/// <summary>Column chunk statistics as stored: min/max are PLAIN-encoded bytes of the physical type.</summary>
public sealed record ColumnStatistics(long? NullCount, long? DistinctCount, byte[]? Min, byte[]? Max);
