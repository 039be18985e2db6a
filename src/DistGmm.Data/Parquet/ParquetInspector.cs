using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DistGmm.Data.Parquet;

/// <summary>
/// The logic of <c>distgmm parquet inspect FILE [--json]</c> and <c>distgmm parquet head FILE [-n N] [--json]</c>.
/// JSON values: integers (INT64, INT96 nanoseconds, unsigned) as exact JSON integers; FLOAT/DOUBLE/FLOAT16 as
/// numbers with NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity"; DECIMAL as an exact JSON number;
/// strings as strings; other binary as {"hex": "..."}; null as null.
/// </summary>
public static class ParquetInspector
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>Runs inspect; on an unreadable file writes one line to <paramref name="error"/> and returns 1.</summary>
    public static int RunInspect(string path, bool json, TextWriter output, TextWriter error) =>
        Guard(path, error, () => WriteInspect(path, output, json));

    /// <summary>Runs head; on an unreadable file writes one line to <paramref name="error"/> and returns 1.</summary>
    public static int RunHead(string path, int n, bool json, TextWriter output, TextWriter error) =>
        Guard(path, error, () => WriteHead(path, n, output, json));

    private static int Guard(string path, TextWriter error, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (DataFormatException e)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {path}: {OneLine(e.Message)}");
            return 1;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    /// <summary>Schema, row groups, codecs, encodings and statistics; one JSON object with <paramref name="json"/>.</summary>
    public static void WriteInspect(string path, TextWriter output, bool json)
    {
        using var reader = ParquetFileReader.Open(path);
        if (json) WriteInspectJson(reader, output);
        else WriteInspectText(reader, output);
    }

    private static void WriteInspectText(ParquetFileReader reader, TextWriter o)
    {
        o.WriteLine($"file: {reader.Path}");
        o.WriteLine($"size: {reader.FileLength} bytes, rows: {reader.TotalRows}, row groups: {reader.RowGroupCount}, format version: {reader.FormatVersion}");
        if (reader.CreatedBy is not null) o.WriteLine($"created by: {reader.CreatedBy}");
        o.WriteLine("schema:");
        foreach (var f in reader.Schema.Fields)
            o.WriteLine($"  {f.Name}: {PhysicalName(f)}{(f.Logical is null ? "" : " " + f.Logical)} {(f.IsNullable ? "OPTIONAL" : "REQUIRED")}");
        if (reader.KeyValueMetadata.Count > 0)
        {
            o.WriteLine("key/value metadata:");
            foreach (var (k, v) in reader.KeyValueMetadata) o.WriteLine($"  {k} = {Shorten(v ?? "(null)", 200)}");
        }
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            o.WriteLine($"row group {g}: {reader.RowGroupRowCount(g)} rows");
            for (int c = 0; c < reader.Schema.Fields.Count; c++)
            {
                var info = reader.GetColumnChunkInfo(g, c);
                var field = reader.Schema.Fields[c];
                var s = info.Statistics;
                string stats = s is null ? "no statistics"
                    : $"nulls {s.NullCount?.ToString(CultureInfo.InvariantCulture) ?? "?"}, min {StatText(field, s.Min)}, max {StatText(field, s.Max)}";
                o.WriteLine($"  {info.Column}: {CodecName(info.Codec)}, {string.Join("/", info.Encodings.Select(EncodingName))}, " +
                            $"{info.CompressedSize} bytes ({info.UncompressedSize} uncompressed), {stats}");
            }
        }
    }

    private static void WriteInspectJson(ParquetFileReader reader, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("file", reader.Path);
            w.WriteNumber("size", reader.FileLength);
            w.WriteNumber("rows", reader.TotalRows);
            w.WriteNumber("formatVersion", reader.FormatVersion);
            if (reader.CreatedBy is null) w.WriteNull("createdBy");
            else w.WriteString("createdBy", reader.CreatedBy);
            w.WriteStartArray("schema");
            foreach (var f in reader.Schema.Fields)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteString("physicalType", PhysicalName(f));
                if (f.Logical is null) w.WriteNull("logicalType");
                else w.WriteString("logicalType", f.Logical.ToString());
                w.WriteString("repetition", f.IsNullable ? "OPTIONAL" : "REQUIRED");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("keyValueMetadata");
            foreach (var (k, v) in reader.KeyValueMetadata)
            {
                if (v is null) w.WriteNull(k);
                else w.WriteString(k, v);
            }
            w.WriteEndObject();
            w.WriteStartArray("rowGroups");
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                w.WriteStartObject();
                w.WriteNumber("rows", reader.RowGroupRowCount(g));
                w.WriteStartArray("columns");
                for (int c = 0; c < reader.Schema.Fields.Count; c++)
                {
                    var info = reader.GetColumnChunkInfo(g, c);
                    var field = reader.Schema.Fields[c];
                    w.WriteStartObject();
                    w.WriteString("name", info.Column);
                    w.WriteString("codec", CodecName(info.Codec));
                    w.WriteStartArray("encodings");
                    foreach (var e in info.Encodings) w.WriteStringValue(EncodingName(e));
                    w.WriteEndArray();
                    w.WriteNumber("numValues", info.NumValues);
                    w.WriteNumber("compressedSize", info.CompressedSize);
                    w.WriteNumber("uncompressedSize", info.UncompressedSize);
                    if (info.Statistics is not { } s) w.WriteNull("statistics");
                    else
                    {
                        w.WriteStartObject("statistics");
                        if (s.NullCount is { } nc) w.WriteNumber("nullCount", nc);
                        else w.WriteNull("nullCount");
                        if (s.DistinctCount is { } dc) w.WriteNumber("distinctCount", dc);
                        w.WritePropertyName("min");
                        WriteValue(w, field, StatValue(field, s.Min));
                        w.WritePropertyName("max");
                        WriteValue(w, field, StatValue(field, s.Max));
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>The first <paramref name="n"/> rows: JSON Lines keyed by column name, or tab-separated text.</summary>
    public static void WriteHead(string path, int n, TextWriter output, bool json)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        using var reader = ParquetFileReader.Open(path);
        var fields = reader.Schema.Fields;
        if (!json) output.WriteLine(string.Join('\t', fields.Select(f => f.Name)));
        int written = 0;
        using var buffer = new MemoryStream();
        for (int g = 0; g < reader.RowGroupCount && written < n; g++)
        {
            var columns = reader.ReadRowGroup(g);
            int rows = (int)Math.Min(reader.RowGroupRowCount(g), n - written);
            for (int r = 0; r < rows; r++, written++)
            {
                if (!json)
                {
                    output.WriteLine(string.Join('\t', columns.Select(c => TextValue(c.Field, c.GetValue(r)))));
                    continue;
                }
                buffer.SetLength(0);
                using (var w = new Utf8JsonWriter(buffer, JsonOptions))
                {
                    w.WriteStartObject();
                    foreach (var c in columns)
                    {
                        w.WritePropertyName(c.Field.Name);
                        WriteValue(w, c.Field, c.GetValue(r));
                    }
                    w.WriteEndObject();
                }
                output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            }
        }
    }

    /// <summary>One value by the JSON rules above.</summary>
    private static void WriteValue(Utf8JsonWriter w, ParquetField field, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case ulong u: w.WriteNumberValue(u); break;
            case BigInteger big: w.WriteRawValue(big.ToString(CultureInfo.InvariantCulture)); break;
            case double d when double.IsNaN(d): w.WriteStringValue("NaN"); break;
            case double d when double.IsPositiveInfinity(d): w.WriteStringValue("Infinity"); break;
            case double d when double.IsNegativeInfinity(d): w.WriteStringValue("-Infinity"); break;
            case double d: w.WriteRawValue(d.ToString("R", CultureInfo.InvariantCulture)); break;
            case string s when field.LogicalKind == LogicalKind.Decimal: w.WriteRawValue(s); break;
            case string s: w.WriteStringValue(s); break;
            case byte[] bytes:
                w.WriteStartObject();
                w.WriteString("hex", Convert.ToHexStringLower(bytes));
                w.WriteEndObject();
                break;
            default: w.WriteStringValue(value.ToString()); break;
        }
    }

    private static string TextValue(ParquetField field, object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        byte[] bytes => "0x" + Convert.ToHexStringLower(bytes),
        string s => s.Replace("\t", "\\t", StringComparison.Ordinal).ReplaceLineEndings("\\n"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Statistics bytes (PLAIN encoding of the physical type) as a value; unknown shapes as raw bytes.</summary>
    internal static object? StatValue(ParquetField field, byte[]? bytes)
    {
        if (bytes is null) return null;
        var logical = field.Logical;
        bool isDecimal = logical?.Kind == LogicalKind.Decimal;
        switch (field.PhysicalType)
        {
            case PhysicalType.Boolean when bytes.Length == 1: return bytes[0] != 0;
            case PhysicalType.Int32 when bytes.Length == 4:
            {
                int v = BitConverter.ToInt32(bytes);
                if (isDecimal) return DecimalValue.Format(v, logical!.Scale);
                return logical is { Kind: LogicalKind.Integer, IsSigned: false } ? (long)(uint)v : v;
            }
            case PhysicalType.Int64 when bytes.Length == 8:
            {
                long v = BitConverter.ToInt64(bytes);
                if (isDecimal) return DecimalValue.Format(v, logical!.Scale);
                return logical is { Kind: LogicalKind.Integer, IsSigned: false } ? (ulong)v : v;
            }
            case PhysicalType.Float when bytes.Length == 4: return (double)BitConverter.ToSingle(bytes);
            case PhysicalType.Double when bytes.Length == 8: return BitConverter.ToDouble(bytes);
            case PhysicalType.ByteArray when field.IsString: return Encoding.UTF8.GetString(bytes);
            case PhysicalType.ByteArray or PhysicalType.FixedLenByteArray when isDecimal: return DecimalValue.Format(DecimalValue.FromBigEndian(bytes), logical!.Scale);
            default: return bytes;
        }
    }

    private static string StatText(ParquetField field, byte[]? bytes) => bytes is null ? "-" : TextValue(field, StatValue(field, bytes));

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    internal static string PhysicalName(ParquetField f) => f.PhysicalType switch
    {
        PhysicalType.FixedLenByteArray => $"FIXED_LEN_BYTE_ARRAY({f.TypeLength})",
        PhysicalType.ByteArray => "BYTE_ARRAY",
        _ => f.PhysicalType.ToString().ToUpperInvariant(),
    };

    internal static string CodecName(CompressionCodec codec) => ParquetTypes.CodecName(codec);

    internal static string EncodingName(ParquetEncoding e) => e switch
    {
        ParquetEncoding.PlainDictionary => "PLAIN_DICTIONARY",
        ParquetEncoding.BitPacked => "BIT_PACKED",
        ParquetEncoding.DeltaBinaryPacked => "DELTA_BINARY_PACKED",
        ParquetEncoding.DeltaLengthByteArray => "DELTA_LENGTH_BYTE_ARRAY",
        ParquetEncoding.DeltaByteArray => "DELTA_BYTE_ARRAY",
        ParquetEncoding.RleDictionary => "RLE_DICTIONARY",
        ParquetEncoding.ByteStreamSplit => "BYTE_STREAM_SPLIT",
        ParquetEncoding.Plain or ParquetEncoding.Rle => e.ToString().ToUpperInvariant(),
        _ => ((int)e).ToString(CultureInfo.InvariantCulture),
    };
}
