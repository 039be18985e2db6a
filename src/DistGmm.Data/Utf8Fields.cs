using System.Globalization;
using System.Text;

namespace DistGmm.Data;

/// <summary>Byte-level field splitting, missing-value tokens and number parsing for delimited text.</summary>
internal static class Utf8Fields
{
    /// <summary>
    /// Splits a line at commas (or <paramref name="delimiter"/>) into <paramref name="ranges"/>; returns the field count
    /// (which may exceed the span's length, only the first ranges are filled). Double-quoted fields are returned without
    /// their quotes.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> line, Span<Range> ranges, byte delimiter = (byte)',') =>
        Split(line, ranges, delimiter, out _);

    /// <summary>
    /// As <see cref="Split(ReadOnlySpan{byte}, Span{Range}, byte)"/>; <paramref name="unclosedQuote"/> is the 1-based
    /// field whose opening quote has no closing one on the line (0 when every quote is closed).
    /// </summary>
    /// <param name="arff">
    /// ARFF's quoting too: a field may be quoted with ' (backslash escapes a quote inside), after spaces.
    /// </param>
    /// <param name="quotes">False for formats that never quote (Zeek logs): a '"' is then an ordinary byte.</param>
    public static int Split(ReadOnlySpan<byte> line, Span<Range> ranges, byte delimiter, out int unclosedQuote, bool arff = false,
        bool quotes = true)
    {
        unclosedQuote = 0;
        var count = 0;
        var position = 0;
        while (true)
        {
            if (arff)
                while (position < line.Length && line[position] is (byte)' ' or (byte)'\t') position++;
            int start = position, end;
            if (quotes && position < line.Length && (line[position] == (byte)'"' || arff && line[position] == (byte)'\''))
            {
                var close = FindClosingQuote(line, position + 1, line[position]);
                if (close == line.Length && unclosedQuote == 0) unclosedQuote = count + 1;
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

    private static int FindClosingQuote(ReadOnlySpan<byte> line, int from, byte quote)
    {
        var i = from;
        while (i < line.Length)
        {
            if (quote == (byte)'\'' && line[i] == (byte)'\\') { i += 2; continue; } // ARFF: \' is an escaped quote
            if (line[i] == quote)
            {
                if (i + 1 < line.Length && line[i + 1] == quote) { i += 2; continue; } // "" is an escaped quote
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
        TryParseSimpleDecimal(field, out value) ||
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>
    /// A number written with a decimal comma (<c>0,5</c>, <c>-1,25E3</c>), as spreadsheets in much of Europe export it,
    /// with ';' between the fields. A '.' is refused: there it would be a thousands separator or another convention.
    /// </summary>
    public static bool TryParseDecimalComma(ReadOnlySpan<byte> field, out double value)
    {
        value = 0;
        var comma = field.IndexOf((byte)',');
        if (comma < 0) return field.IndexOf((byte)'.') < 0 && TryParseNumber(field, out value);
        if (field.Length > 64 || field.IndexOf((byte)'.') >= 0 || field[(comma + 1)..].IndexOf((byte)',') >= 0) return false;
        Span<byte> point = stackalloc byte[field.Length];
        field.CopyTo(point);
        point[comma] = (byte)'.';
        return TryParseNumber(point, out value);
    }

    /// <summary>A number, but not a finite double: <c>1e400</c>, <c>inf</c>, <c>-Infinity</c> (any case).</summary>
    public static bool IsOutOfRange(ReadOnlySpan<byte> field)
    {
        if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return !double.IsFinite(value);
        var unsigned = field.Length > 0 && field[0] is (byte)'-' or (byte)'+' ? field[1..] : field;
        return Ascii.EqualsIgnoreCase(unsigned, "inf"u8) || Ascii.EqualsIgnoreCase(unsigned, "infinity"u8);
    }

    private static ReadOnlySpan<double> PowersOf10 =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// The fast path for the plain decimals that fill KDD files (<c>181</c>, <c>0.05</c>, <c>-3.5</c>): with at most
    /// 15 significant digits both the digits and 10^k are exact doubles, so one division is correctly rounded and
    /// equals <see cref="double.Parse(string)"/> (Clinger's fast path). Anything else goes to the full parser.
    /// </summary>
    private static bool TryParseSimpleDecimal(ReadOnlySpan<byte> field, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (field.Length > 0 && field[0] is (byte)'-' or (byte)'+') { negative = field[0] == (byte)'-'; i = 1; }
        long mantissa = 0;
        int digits = 0, fractionDigits = 0;
        bool sawPoint = false, anyDigit = false;
        for (; i < field.Length; i++)
        {
            var b = field[i];
            if (b == (byte)'.')
            {
                if (sawPoint) return false;
                sawPoint = true;
                continue;
            }
            var d = b - (byte)'0';
            if ((uint)d > 9) return false;
            anyDigit = true;
            if (mantissa == 0 && d == 0 && !sawPoint) continue; // leading zeros are not significant
            if (++digits > 15) return false;
            mantissa = mantissa * 10 + d;
            if (sawPoint) fractionDigits++;
        }
        if (!anyDigit) return false; // "", "-", "." are not numbers
        value = fractionDigits == 0 ? mantissa : mantissa / PowersOf10[fractionDigits];
        if (negative) value = -value;
        return true;
    }

    public static string Decode(ReadOnlySpan<byte> field) => Encoding.UTF8.GetString(field);

    /// <summary>Control bytes that no text file holds (NUL, BEL, ...; tab, newlines and form feed are allowed).</summary>
    public static bool LooksBinary(ReadOnlySpan<byte> line) =>
        line.IndexOfAnyInRange((byte)0x00, (byte)0x08) >= 0 || line.IndexOfAnyInRange((byte)0x0E, (byte)0x1F) >= 0;
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
        return Intern(chars[..length]);
    }

    public string Intern(ReadOnlySpan<char> key)
    {
        if (_lookup.TryGetValue(key, out var existing)) return existing;
        var created = key.ToString();
        _strings.Add(created, created);
        return created;
    }
}
