namespace DistGmm.Data;

/// <summary>
/// An attribute declared in an ARFF header: its name, the role its type gives it, its line, and what a sparse row that
/// omits it means (Weka: 0, for a nominal attribute its first declared value; none for string and date attributes).
/// </summary>
internal sealed record ArffAttribute(string Name, ColumnRole Role, long Line, string? SparseDefault = null);

/// <summary>
/// The header of a Weka ARFF file (NSL-KDD ships one beside its CSV): <c>%</c> comments, <c>@relation</c>, one
/// <c>@attribute name type</c> per column, then <c>@data</c> and comma-separated rows. The declared types give the roles
/// (numeric/real/integer: numeric; nominal <c>{…}</c> and string: categorical; date: ignored, with a warning); no row
/// is read here. Keywords are case-insensitive, as in Weka.
/// </summary>
internal sealed record ArffHeader(IReadOnlyList<ArffAttribute> Attributes, long DataLine, int NonBlankLines,
    IReadOnlyList<string> Warnings)
{
    /// <summary>The header, or null when the first line that is neither blank nor a <c>%</c> comment is not <c>@relation</c>.</summary>
    public static ArffHeader? TryRead(string path)
    {
        using var lines = new Utf8LineReader(path);
        var attributes = new List<ArffAttribute>();
        var warnings = new List<string>();
        var nonBlank = 0;
        var sawRelation = false;
        while (lines.TryReadLine(out var raw))
        {
            var trimmed = Utf8Fields.Trim(raw);
            if (trimmed.IsEmpty) continue;
            if (!sawRelation && Utf8Fields.LooksBinary(trimmed)) return null;
            nonBlank++;
            if (trimmed[0] == (byte)'%') continue;
            var line = Utf8Fields.Decode(trimmed);
            var keyword = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0];
            if (!sawRelation)
            {
                if (!keyword.Equals("@relation", StringComparison.OrdinalIgnoreCase)) return null;
                sawRelation = true;
                continue;
            }
            if (keyword.Equals("@data", StringComparison.OrdinalIgnoreCase))
            {
                if (attributes.Count == 0) throw new DataFormatException(path, lines.LineNumber, 0, "ARFF: @data before any @attribute");
                return new ArffHeader(attributes, lines.LineNumber, nonBlank, warnings);
            }
            if (!keyword.Equals("@attribute", StringComparison.OrdinalIgnoreCase))
                throw new DataFormatException(path, lines.LineNumber, 1,
                    $"ARFF: expected @attribute or @data, found '{Quote(keyword)}'");
            attributes.Add(ParseAttribute(path, lines.LineNumber, line, keyword.Length, warnings));
        }
        throw new DataFormatException(path, "ARFF: the header has no @data line");
    }

    private static ArffAttribute ParseAttribute(string path, long lineNumber, string line, int at, List<string> warnings)
    {
        while (at < line.Length && char.IsWhiteSpace(line[at])) at++;
        if (at == line.Length) throw new DataFormatException(path, lineNumber, at + 1, "ARFF: @attribute without a name");
        string name;
        if (line[at] is '\'' or '"')
        {
            var quote = line[at];
            var close = line.IndexOf(quote, at + 1);
            if (close < 0) throw new DataFormatException(path, lineNumber, at + 1, $"ARFF: the attribute name's {quote} is not closed");
            name = line[(at + 1)..close];
            at = close + 1;
        }
        else
        {
            var end = at;
            while (end < line.Length && !char.IsWhiteSpace(line[end]) && line[end] != '{') end++;
            name = line[at..end];
            at = end;
        }
        var type = line[at..].Trim();
        var column = line.Length - line[at..].TrimStart().Length + 1;
        ColumnRole role;
        string? sparseDefault = null;
        if (type.StartsWith('{'))
        {
            if (!type.EndsWith('}')) throw new DataFormatException(path, lineNumber, column, $"ARFF: attribute '{name}': the nominal list's {{ is not closed");
            role = ColumnRole.Categorical;
            var list = type[1..^1].TrimStart();
            var close = list is ['\'' or '"', ..] ? list.IndexOf(list[0], 1) : -1;
            var first = close > 0 ? list[1..close] : list.Split(',')[0].Trim();
            sparseDefault = first.Length > 0 ? first : null;
        }
        else
        {
            var word = type.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : "";
            switch (word.ToLowerInvariant())
            {
                case "numeric" or "real" or "integer":
                    role = ColumnRole.Numeric;
                    sparseDefault = "0";
                    break;
                case "string":
                    role = ColumnRole.Categorical;
                    break;
                case "date":
                    role = ColumnRole.Ignored;
                    warnings.Add($"{path}: line {lineNumber}: ARFF date attribute '{name}' is not used as a feature");
                    break;
                case "":
                    throw new DataFormatException(path, lineNumber, column, $"ARFF: attribute '{name}' has no type");
                default:
                    throw new DataFormatException(path, lineNumber, column,
                        $"ARFF: attribute '{name}' has type '{Quote(word)}', not numeric, real, integer, string, date or a nominal {{…}} list");
            }
        }
        return new ArffAttribute(name, role, lineNumber, sparseDefault);
    }

    private static string Quote(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
