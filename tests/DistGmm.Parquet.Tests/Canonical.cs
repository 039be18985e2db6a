using System.Globalization;
using System.Numerics;
using System.Text.Json;
using DistGmm.Data.Parquet;
using DistGmm.Data;

namespace DistGmm.Parquet.Tests;

/// <summary>
/// The canonical value format of ../shared/node-parquet/README.md, as comparable strings: our values and the
/// independent readers' JSON map to the same text exactly when they denote the same value.
/// </summary>
internal static class Canonical
{
    public static bool IsFloatKind(ParquetField f) =>
        f.PhysicalType is PhysicalType.Float or PhysicalType.Double && f.LogicalKind != LogicalKind.Decimal || f.LogicalKind == LogicalKind.Float16;

    public static string Of(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        BigInteger big => big.ToString(CultureInfo.InvariantCulture),
        double d => Double(d),
        string s => "s:" + s,
        byte[] bytes => "hex:" + Convert.ToHexStringLower(bytes),
        _ => throw new InvalidOperationException($"unexpected value type {value.GetType()}"),
    };

    public static string Double(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity"
        : d == 0 ? "0" : d.ToString("R", CultureInfo.InvariantCulture);

    public static string OfJson(JsonElement e, bool floatKind) => e.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.String when floatKind => e.GetString()!,
        JsonValueKind.String => "s:" + e.GetString(),
        JsonValueKind.Number when floatKind => Double(double.Parse(e.GetRawText(), CultureInfo.InvariantCulture)),
        JsonValueKind.Number => BigInteger.Parse(e.GetRawText(), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Object => "hex:" + e.GetProperty("hex").GetString(),
        _ => throw new InvalidOperationException($"unexpected JSON {e}"),
    };

    /// <summary>Physical type text as read.mjs prints it.</summary>
    public static string PhysicalText(ParquetField f) => f.PhysicalType switch
    {
        PhysicalType.FixedLenByteArray => $"FIXED_LEN_BYTE_ARRAY({f.TypeLength})",
        PhysicalType.ByteArray => "BYTE_ARRAY",
        _ => f.PhysicalType.ToString().ToUpperInvariant(),
    };

    /// <summary>Compares every cell of a file with an expected {rows, columns, data} JSON; returns mismatches.</summary>
    public static List<string> Compare(ParquetFileReader reader, JsonElement expected, int maxReports = 10)
    {
        var problems = new List<string>();
        long cells = 0;
        var columns = expected.GetProperty("columns");
        var fields = reader.Schema.Fields;
        if (columns.GetArrayLength() != fields.Count) problems.Add($"{fields.Count} columns, expected {columns.GetArrayLength()}");
        for (int c = 0; c < Math.Min(fields.Count, columns.GetArrayLength()); c++)
        {
            var col = columns[c];
            if (col.GetProperty("name").GetString() != fields[c].Name) problems.Add($"column {c} is '{fields[c].Name}', expected '{col.GetProperty("name").GetString()}'");
            string type = col.GetProperty("type").GetString()!;
            if (!type.StartsWith("arrow:", StringComparison.Ordinal) && type != PhysicalText(fields[c])) problems.Add($"column '{fields[c].Name}' is {PhysicalText(fields[c])}, expected {type}");
        }
        long rows = expected.GetProperty("rows").GetInt64();
        if (reader.TotalRows != rows) problems.Add($"{reader.TotalRows} rows, expected {rows}");
        if (!expected.TryGetProperty("data", out var dataElement) || problems.Count > 0) return problems;
        // JsonElement indexes arrays of arrays in linear time; index a materialized copy instead.
        var data = dataElement.EnumerateArray().Select(row => row.EnumerateArray().ToArray()).ToArray();
        int rowBase = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            int n = (int)reader.RowGroupRowCount(g);
            for (int c = 0; c < fields.Count; c++)
            {
                var column = reader.ReadColumn(g, fields[c].Name);
                bool floatKind = IsFloatKind(fields[c]);
                for (int i = 0; i < n; i++)
                {
                    string got = Of(column.GetValue(i));
                    string want = OfJson(data[rowBase + i][c], floatKind);
                    if (got != want && problems.Count < maxReports) problems.Add($"row {rowBase + i} column '{fields[c].Name}': got {got}, expected {want}");
                    cells++;
                }
            }
            rowBase += n;
        }
        if (rowBase != data.Length || cells != (long)rowBase * fields.Count)
            problems.Add($"compared {cells} cells over {rowBase} rows; expected data has {data.Length} rows");
        return problems;
    }
}
