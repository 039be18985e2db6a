namespace DistGmm.Data.Parquet;

/// <summary>One leaf column of a flat schema.</summary>
/// <param name="TypeLength">Byte width of FIXED_LEN_BYTE_ARRAY values (0 otherwise).</param>
public sealed record ParquetField(string Name, PhysicalType PhysicalType, bool IsNullable, ParquetLogicalType? Logical = null, int TypeLength = 0)
{
    public static ParquetField Double(string name, bool nullable = false) => new(name, PhysicalType.Double, nullable);

    public static ParquetField Float(string name, bool nullable = false) => new(name, PhysicalType.Float, nullable);

    public static ParquetField Int64(string name, bool nullable = false) => new(name, PhysicalType.Int64, nullable);

    public static ParquetField Int32(string name, bool nullable = false) => new(name, PhysicalType.Int32, nullable);

    /// <summary>BYTE_ARRAY annotated STRING (UTF-8).</summary>
    public static ParquetField String(string name, bool nullable = false) => new(name, PhysicalType.ByteArray, nullable, ParquetLogicalType.String);

    public static ParquetField Boolean(string name, bool nullable = false) => new(name, PhysicalType.Boolean, nullable);

    /// <summary>Unannotated BYTE_ARRAY.</summary>
    public static ParquetField Binary(string name, bool nullable = false) => new(name, PhysicalType.ByteArray, nullable);

    public static ParquetField FixedLenByteArray(string name, int typeLength, bool nullable = false) =>
        new(name, PhysicalType.FixedLenByteArray, nullable, TypeLength: typeLength);

    public LogicalKind LogicalKind => Logical?.Kind ?? LogicalKind.None;

    /// <summary>BYTE_ARRAY values exposed as .NET strings (STRING, ENUM, JSON annotations).</summary>
    public bool IsString => PhysicalType == PhysicalType.ByteArray && LogicalKind is LogicalKind.String or LogicalKind.Enum or LogicalKind.Json;
}
