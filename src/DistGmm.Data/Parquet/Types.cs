namespace DistGmm.Data.Parquet;

/// <summary>Parquet physical types (values match the Thrift enum).</summary>
public enum PhysicalType { Boolean, Int32, Int64, Int96, Float, Double, ByteArray, FixedLenByteArray }

/// <summary>Page compression codecs (values match the Thrift enum).</summary>
public enum CompressionCodec { Uncompressed, Snappy, Gzip, Lzo, Brotli, Lz4, Zstd, Lz4Raw }

/// <summary>Value/level encodings (values match the Thrift enum; 1 was GROUP_VAR_INT, never used).</summary>
public enum ParquetEncoding
{
    Plain = 0,
    PlainDictionary = 2,
    Rle = 3,
    BitPacked = 4,
    DeltaBinaryPacked = 5,
    DeltaLengthByteArray = 6,
    DeltaByteArray = 7,
    RleDictionary = 8,
    ByteStreamSplit = 9,
}

/// <summary>Logical annotations kept in the schema model (new LogicalType union or legacy ConvertedType).</summary>
public enum LogicalKind { None, String, Enum, Json, Bson, Uuid, Date, Time, Timestamp, Integer, Decimal, Float16, Geometry, Geography, Unknown, Other }

public enum TimeUnit { Millis, Micros, Nanos }

/// <summary>A column's logical type: what the physical values mean.</summary>
public sealed record ParquetLogicalType(LogicalKind Kind, int BitWidth = 0, bool IsSigned = true, int Precision = 0, int Scale = 0,
    TimeUnit Unit = TimeUnit.Millis, bool IsAdjustedToUtc = true)
{
    public static ParquetLogicalType String { get; } = new(LogicalKind.String);

    public static ParquetLogicalType Date { get; } = new(LogicalKind.Date);

    public static ParquetLogicalType Integer(int bitWidth, bool isSigned) => new(LogicalKind.Integer, BitWidth: bitWidth, IsSigned: isSigned);

    public static ParquetLogicalType Decimal(int precision, int scale) => new(LogicalKind.Decimal, Precision: precision, Scale: scale);

    public static ParquetLogicalType Timestamp(TimeUnit unit, bool isAdjustedToUtc = true) => new(LogicalKind.Timestamp, Unit: unit, IsAdjustedToUtc: isAdjustedToUtc);

    /// <summary>Canonical text, e.g. STRING, INT(16,true), DECIMAL(9,2), TIMESTAMP(MICROS,true).</summary>
    public override string ToString() => Kind switch
    {
        LogicalKind.Integer => $"INT({BitWidth},{(IsSigned ? "true" : "false")})",
        LogicalKind.Decimal => $"DECIMAL({Precision},{Scale})",
        LogicalKind.Time or LogicalKind.Timestamp => $"{Kind.ToString().ToUpperInvariant()}({Unit.ToString().ToUpperInvariant()},{(IsAdjustedToUtc ? "true" : "false")})",
        _ => Kind.ToString().ToUpperInvariant(),
    };
}
