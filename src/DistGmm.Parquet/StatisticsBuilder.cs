using System.Text;
using DistGmm.Parquet.Format;

namespace DistGmm.Parquet;

/// <summary>Column chunk statistics: null_count always; min/max (PLAIN bytes) where the order is well defined.</summary>
internal static class StatisticsBuilder
{
    public static Statistics Build(ParquetColumn column, int start, int count, int nullCount, DictionaryBuilder? dictionary)
    {
        var stats = new Statistics { NullCount = nullCount };
        if (nullCount == count) return stats;
        var field = column.Field;
        if (field.Logical is { Kind: LogicalKind.Integer, IsSigned: false } or { Kind: LogicalKind.Float16 } ||
            field.PhysicalType is PhysicalType.Int96 || field.LogicalKind == LogicalKind.Decimal && field.PhysicalType == PhysicalType.FixedLenByteArray)
            return stats;
        var nulls = column.Nulls;
        bool Present(int i) => nulls is null || !nulls[i];
        switch (field.PhysicalType)
        {
            case PhysicalType.Boolean:
            {
                bool any = false, all = true;
                for (int i = start; i < start + count; i++)
                    if (Present(i)) { any |= column.Booleans![i]; all &= column.Booleans![i]; }
                stats.MinValue = [(byte)(all ? 1 : 0)];
                stats.MaxValue = [(byte)(any ? 1 : 0)];
                break;
            }
            case PhysicalType.Int32:
            {
                int min = int.MaxValue, max = int.MinValue;
                if (dictionary is not null) foreach (int v in (int[])dictionary.Values) { min = Math.Min(min, v); max = Math.Max(max, v); }
                else for (int i = start; i < start + count; i++) if (Present(i)) { min = Math.Min(min, column.Int32s![i]); max = Math.Max(max, column.Int32s![i]); }
                stats.MinValue = BitConverter.GetBytes(min);
                stats.MaxValue = BitConverter.GetBytes(max);
                break;
            }
            case PhysicalType.Int64:
            {
                long min = long.MaxValue, max = long.MinValue;
                if (dictionary is not null) foreach (long v in (long[])dictionary.Values) { min = Math.Min(min, v); max = Math.Max(max, v); }
                else for (int i = start; i < start + count; i++) if (Present(i)) { min = Math.Min(min, column.Int64s![i]); max = Math.Max(max, column.Int64s![i]); }
                stats.MinValue = BitConverter.GetBytes(min);
                stats.MaxValue = BitConverter.GetBytes(max);
                break;
            }
            case PhysicalType.Float:
            case PhysicalType.Double:
            {
                double min = double.PositiveInfinity, max = double.NegativeInfinity;
                var values = column.Doubles!;
                for (int i = start; i < start + count; i++)
                {
                    if (nulls is not null && nulls[i]) continue;
                    double v = values[i];
                    if (v < min) min = v; // NaN compares false both ways: it has no place in min/max
                    if (v > max) max = v;
                }
                bool seen = min <= max;
                if (!seen) break;
                if (min == 0) min = -0.0; // the spec asks for -0 as a zero minimum and +0 as a zero maximum
                if (max == 0) max = 0.0;
                bool isFloat = field.PhysicalType == PhysicalType.Float;
                stats.MinValue = isFloat ? BitConverter.GetBytes((float)min) : BitConverter.GetBytes(min);
                stats.MaxValue = isFloat ? BitConverter.GetBytes((float)max) : BitConverter.GetBytes(max);
                break;
            }
            case PhysicalType.ByteArray when column.Strings is not null:
            {
                string? min = null, max = null;
                IEnumerable<string> candidates = dictionary is not null
                    ? (string[])dictionary.Values
                    : Enumerable.Range(start, count).Where(Present).Select(i => column.Strings[i]!);
                foreach (var s in candidates)
                {
                    if (min is null || Utf8Order(s, min) < 0) min = s;
                    if (max is null || Utf8Order(s, max) > 0) max = s;
                }
                stats.MinValue = Encoding.UTF8.GetBytes(min!);
                stats.MaxValue = Encoding.UTF8.GetBytes(max!);
                break;
            }
            default:
            {
                byte[]? min = null, max = null;
                IEnumerable<byte[]> candidates = dictionary is not null
                    ? (byte[][])dictionary.Values
                    : Enumerable.Range(start, count).Where(Present).Select(i => column.Binaries![i]!);
                foreach (var b in candidates)
                {
                    if (min is null || ByteArrayComparer.Instance.Compare(b, min) < 0) min = b;
                    if (max is null || ByteArrayComparer.Instance.Compare(b, max) > 0) max = b;
                }
                stats.MinValue = min;
                stats.MaxValue = max;
                break;
            }
        }
        return stats;
    }

    /// <summary>Compares strings in UTF-8 byte order (= code point order), which ordinal UTF-16 order is not:
    /// surrogates (supplementary code points) must sort above U+E000..U+FFFF.</summary>
    internal static int Utf8Order(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            if (a[i] == b[i]) continue;
            return Key(a[i]).CompareTo(Key(b[i]));
        }
        return a.Length.CompareTo(b.Length);

        static int Key(char c) => c >= 0xD800 && c <= 0xDFFF ? c + 0x2000 : c >= 0xE000 ? c - 0x800 : c;
    }
}
