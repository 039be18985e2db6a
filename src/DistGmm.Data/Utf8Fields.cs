using System.Globalization;
using System.Text;

namespace DistGmm.Data;

/// <summary>Byte-level field splitting, missing-value tokens and number parsing for delimited text.</summary>
internal static class Utf8Fields
{
    /// <summary>
    /// Splits a line at commas into <paramref name="ranges"/>; returns the field count (which may exceed the span's
    /// length, only the first ranges are filled). Double-quoted fields are returned without their quotes.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> line, Span<Range> ranges, byte delimiter = (byte)',')
    {
        var count = 0;
        var position = 0;
        while (true)
        {
            int start = position, end;
            if (position < line.Length && line[position] == (byte)'"')
            {
                var close = FindClosingQuote(line, position + 1);
                start = position + 1;
                end = close;
                var next = line[Math.Min(close + 1, line.Length)..].IndexOf(delimiter);
                position = next < 0 ? line.Length + 1 : close + 1 + next + 1;
            }
            else
            {
                var next = line[position..].IndexOf(delimiter);
                end = next < 0 ? line.Length : position + next;
                position = end + 1;
            }
            if (count < ranges.Length) ranges[count] = new Range(start, end);
            count++;
            if (position > line.Length) return count;
        }
    }

    private static int FindClosingQuote(ReadOnlySpan<byte> line, int from)
    {
        var i = from;
        while (i < line.Length)
        {
            if (line[i] == (byte)'"')
            {
                if (i + 1 < line.Length && line[i + 1] == (byte)'"') { i += 2; continue; } // "" is an escaped quote
                return i;
            }
            i++;
        }
        return line.Length;
    }

    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> field)
    {
        var start = 0;
        var end = field.Length;
        while (start < end && field[start] is (byte)' ' or (byte)'\t') start++;
        while (end > start && field[end - 1] is (byte)' ' or (byte)'\t') end--;
        return field[start..end];
    }

    /// <summary>Empty, <c>?</c>, <c>NA</c> and <c>NaN</c> (any case) mean "missing".</summary>
    public static bool IsMissing(ReadOnlySpan<byte> field) => field.Length switch
    {
        0 => true,
        1 => field[0] == (byte)'?',
        2 => Ascii.EqualsIgnoreCase(field, "NA"u8),
        3 => Ascii.EqualsIgnoreCase(field, "NaN"u8),
        _ => false,
    };

    public static bool IsMissing(string field)
    {
        var trimmed = field.AsSpan().Trim();
        return trimmed.Length == 0 || trimmed is "?" || trimmed.Equals("NA", StringComparison.OrdinalIgnoreCase) ||
               trimmed.Equals("NaN", StringComparison.OrdinalIgnoreCase);
    }

    public static bool TryParseNumber(ReadOnlySpan<byte> field, out double value) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    public static string Decode(ReadOnlySpan<byte> field) => Encoding.UTF8.GetString(field);
}

/// <summary>Turns repeated UTF-8 values (protocols, services, labels) into one shared string each.</summary>
internal sealed class Utf8Interner
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public Utf8Interner() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Intern(ReadOnlySpan<byte> utf8)
    {
        Span<char> stack = stackalloc char[128];
        var chars = utf8.Length <= stack.Length ? stack : new char[Encoding.UTF8.GetMaxCharCount(utf8.Length)];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        var key = chars[..length];
        if (_lookup.TryGetValue(key, out var existing)) return existing;
        var created = key.ToString();
        _strings.Add(created, created);
        return created;
    }
}
