using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Native = ParquetSharp;

namespace DistGmm.Data.Parquet;

/// <summary>Translations between our flat schema model and ParquetSharp's, and Arrow's error messages made readable.</summary>
internal static partial class ParquetTypes
{
    /// <summary>The ParquetSharp package version (recorded in dataset manifests and in the files' created_by).</summary>
    public static string LibraryVersion { get; } = "ParquetSharp " +
        (typeof(Native.ParquetFileReader).Assembly.GetName().Version?.ToString() ?? "?");

    public static ParquetField Field(Native.ColumnDescriptor column)
    {
        var physical = Physical(column.PhysicalType);
        ParquetLogicalType? logical;
        try
        {
            using var native = column.LogicalType;
            logical = Logical(native);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // ParquetSharp has no class for GEOMETRY/GEOGRAPHY and unknown annotations: keep the kind, read the physical values.
            logical = e.Message.Contains("Geometry", StringComparison.Ordinal) ? new ParquetLogicalType(LogicalKind.Geometry)
                : e.Message.Contains("Geography", StringComparison.Ordinal) ? new ParquetLogicalType(LogicalKind.Geography)
                : null;
        }
        return new ParquetField(column.Name, physical, column.MaxDefinitionLevel > 0, logical,
            physical == PhysicalType.FixedLenByteArray ? column.TypeLength : 0);
    }

    public static PhysicalType Physical(Native.PhysicalType type) => type switch
    {
        Native.PhysicalType.Boolean => PhysicalType.Boolean,
        Native.PhysicalType.Int32 => PhysicalType.Int32,
        Native.PhysicalType.Int64 => PhysicalType.Int64,
        Native.PhysicalType.Int96 => PhysicalType.Int96,
        Native.PhysicalType.Float => PhysicalType.Float,
        Native.PhysicalType.Double => PhysicalType.Double,
        Native.PhysicalType.ByteArray => PhysicalType.ByteArray,
        Native.PhysicalType.FixedLenByteArray => PhysicalType.FixedLenByteArray,
        _ => throw new NotSupportedException($"physical type {type} is not supported"),
    };

    public static Native.PhysicalType Physical(PhysicalType type) => type switch
    {
        PhysicalType.Boolean => Native.PhysicalType.Boolean,
        PhysicalType.Int32 => Native.PhysicalType.Int32,
        PhysicalType.Int64 => Native.PhysicalType.Int64,
        PhysicalType.Int96 => Native.PhysicalType.Int96,
        PhysicalType.Float => Native.PhysicalType.Float,
        PhysicalType.Double => Native.PhysicalType.Double,
        PhysicalType.ByteArray => Native.PhysicalType.ByteArray,
        _ => Native.PhysicalType.FixedLenByteArray,
    };

    private static ParquetLogicalType? Logical(Native.LogicalType logical) => logical switch
    {
        Native.DecimalLogicalType d => ParquetLogicalType.Decimal(d.Precision, d.Scale),
        Native.IntLogicalType i => ParquetLogicalType.Integer(i.BitWidth, i.IsSigned),
        Native.TimestampLogicalType t => ParquetLogicalType.Timestamp(Unit(t.TimeUnit), t.IsAdjustedToUtc),
        Native.TimeLogicalType t => new ParquetLogicalType(LogicalKind.Time, Unit: Unit(t.TimeUnit), IsAdjustedToUtc: t.IsAdjustedToUtc),
        _ => logical.Type switch
        {
            Native.LogicalTypeEnum.String => ParquetLogicalType.String,
            Native.LogicalTypeEnum.Enum => new ParquetLogicalType(LogicalKind.Enum),
            Native.LogicalTypeEnum.Json => new ParquetLogicalType(LogicalKind.Json),
            Native.LogicalTypeEnum.Bson => new ParquetLogicalType(LogicalKind.Bson),
            Native.LogicalTypeEnum.Uuid => new ParquetLogicalType(LogicalKind.Uuid),
            Native.LogicalTypeEnum.Date => ParquetLogicalType.Date,
            Native.LogicalTypeEnum.Float16 => new ParquetLogicalType(LogicalKind.Float16),
            Native.LogicalTypeEnum.Geometry => new ParquetLogicalType(LogicalKind.Geometry),
            Native.LogicalTypeEnum.Geography => new ParquetLogicalType(LogicalKind.Geography),
            Native.LogicalTypeEnum.None or Native.LogicalTypeEnum.Undefined => null,
            _ => new ParquetLogicalType(LogicalKind.Other),
        },
    };

    private static TimeUnit Unit(Native.TimeUnit unit) => unit switch
    {
        Native.TimeUnit.Millis => TimeUnit.Millis,
        Native.TimeUnit.Micros => TimeUnit.Micros,
        _ => TimeUnit.Nanos,
    };

    private static Native.TimeUnit Unit(TimeUnit unit) => unit switch
    {
        TimeUnit.Millis => Native.TimeUnit.Millis,
        TimeUnit.Micros => Native.TimeUnit.Micros,
        _ => Native.TimeUnit.Nanos,
    };

    public static Native.LogicalType Logical(ParquetLogicalType? logical) => logical?.Kind switch
    {
        LogicalKind.String => Native.LogicalType.String(),
        LogicalKind.Enum => Native.LogicalType.Enum(),
        LogicalKind.Json => Native.LogicalType.Json(),
        LogicalKind.Bson => Native.LogicalType.Bson(),
        LogicalKind.Uuid => Native.LogicalType.Uuid(),
        LogicalKind.Date => Native.LogicalType.Date(),
        LogicalKind.Time => Native.LogicalType.Time(logical.IsAdjustedToUtc, Unit(logical.Unit)),
        LogicalKind.Timestamp => Native.LogicalType.Timestamp(logical.IsAdjustedToUtc, Unit(logical.Unit)),
        LogicalKind.Integer => Native.LogicalType.Int(logical.BitWidth, logical.IsSigned),
        LogicalKind.Decimal => Native.LogicalType.Decimal(logical.Precision, logical.Scale),
        LogicalKind.Float16 => Native.LogicalType.Float16(),
        _ => Native.LogicalType.None(),
    };

    public static CompressionCodec Codec(Native.Compression compression) => compression switch
    {
        Native.Compression.Uncompressed => CompressionCodec.Uncompressed,
        Native.Compression.Snappy => CompressionCodec.Snappy,
        Native.Compression.Gzip => CompressionCodec.Gzip,
        Native.Compression.Brotli => CompressionCodec.Brotli,
        Native.Compression.Zstd => CompressionCodec.Zstd,
        Native.Compression.Lzo => CompressionCodec.Lzo,
        // Arrow's LZ4 is the file format's LZ4_RAW; the deprecated LZ4 codec of the format is Hadoop-framed.
        Native.Compression.Lz4 => CompressionCodec.Lz4Raw,
        _ => CompressionCodec.Lz4,
    };

    public static Native.Compression Codec(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => Native.Compression.Uncompressed,
        CompressionCodec.Snappy => Native.Compression.Snappy,
        CompressionCodec.Gzip => Native.Compression.Gzip,
        CompressionCodec.Brotli => Native.Compression.Brotli,
        CompressionCodec.Zstd => Native.Compression.Zstd,
        CompressionCodec.Lz4Raw => Native.Compression.Lz4,
        _ => throw new ArgumentException($"cannot write codec {CodecName(codec)}; use UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD or LZ4_RAW", nameof(codec)),
    };

    public static string CodecName(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Lz4Raw => "LZ4_RAW",
        _ => codec.ToString().ToUpperInvariant(),
    };

    public static ParquetEncoding Encoding(Native.Encoding encoding) => encoding switch
    {
        Native.Encoding.Plain => ParquetEncoding.Plain,
        Native.Encoding.PlainDictionary => ParquetEncoding.PlainDictionary,
        Native.Encoding.Rle => ParquetEncoding.Rle,
        Native.Encoding.BitPacked => ParquetEncoding.BitPacked,
        Native.Encoding.DeltaBinaryPacked => ParquetEncoding.DeltaBinaryPacked,
        Native.Encoding.DeltaLengthByteArray => ParquetEncoding.DeltaLengthByteArray,
        Native.Encoding.DeltaByteArray => ParquetEncoding.DeltaByteArray,
        Native.Encoding.RleDictionary => ParquetEncoding.RleDictionary,
        Native.Encoding.ByteStreamSplit => ParquetEncoding.ByteStreamSplit,
        _ => (ParquetEncoding)(-1),
    };

    /// <summary>Statistics min or max as the PLAIN bytes of the physical type (the form the inspector decodes).</summary>
    public static unsafe byte[]? PlainBytes(Native.Statistics statistics, ParquetField field, bool min)
    {
        var value = min ? statistics.MinUntyped : statistics.MaxUntyped;
        return value switch
        {
            bool b => [(byte)(b ? 1 : 0)],
            int i => BitConverter.GetBytes(i),
            long l => BitConverter.GetBytes(l),
            float f => BitConverter.GetBytes(f),
            double d => BitConverter.GetBytes(d),
            Native.Int96 x => MemoryMarshal.AsBytes(new ReadOnlySpan<Native.Int96>(in x)).ToArray(),
            Native.ByteArray a => a.Length == 0 ? [] : new ReadOnlySpan<byte>((void*)a.Pointer, a.Length).ToArray(),
            Native.FixedLenByteArray x => new ReadOnlySpan<byte>((void*)x.Pointer, field.TypeLength).ToArray(),
            byte[] bytes => bytes,
            _ => null,
        };
    }

    /// <summary>Failures inside ParquetSharp that come from the file, not from our arguments (checked beforehand).</summary>
    public static bool IsFileFault(Exception e) =>
        e is Native.ParquetException or InvalidOperationException or OverflowException or IndexOutOfRangeException
            or NotSupportedException or ArgumentException or InvalidCastException or OutOfMemoryException;

    /// <summary>
    /// Arrow's message on one line without its C++ exception type names (ParquetSharp reports
    /// <c>class parquet::ParquetException (message: ...)</c> or the mangled <c>N7parquet16ParquetExceptionE</c>).
    /// </summary>
    public static string CleanMessage(string message)
    {
        var text = ControlCharacter().Replace(message.ReplaceLineEndings(" "), m => $"\\x{(int)m.Value[0]:x2}").Trim();
        var m = WrappedMessage().Match(text);
        if (m.Success) text = m.Groups["msg"].Value.Trim();
        text = MangledName().Replace(text, "").Trim();
        text = text.Replace("class parquet::ParquetException", "", StringComparison.Ordinal).Trim(' ', ':');
        return string.IsNullOrEmpty(text) ? "the Parquet reader failed without a message" : text;
    }

    [GeneratedRegex(@"^\S*(ParquetException|ParquetStatusException|Exception)\S*\s*\(message\s*:\s*'?(?<msg>.*?)'?\)\s*$")]
    private static partial Regex WrappedMessage();

    [GeneratedRegex(@"[\x00-\x1f\x7f]")]
    private static partial Regex ControlCharacter();

    [GeneratedRegex(@"\bN\d+\w+?E\b|\bSt\d+\w+\b")]
    private static partial Regex MangledName();
}
