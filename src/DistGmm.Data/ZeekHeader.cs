namespace DistGmm.Data;

/// <summary>
/// The header of a Zeek (Bro) log in its default TSV form — <c>conn.log</c>, the connection records security teams
/// keep: <c>#separator \x09</c>, <c>#unset_field -</c>, <c>#empty_field (empty)</c>, <c>#fields</c> and <c>#types</c>,
/// then one row per line; <c>#close</c> ends it. Roles come from the declared types: counts, integers, doubles and
/// intervals are numeric; strings, enums, bools and ports (a port names a service, it is no magnitude) categorical;
/// addresses, subnets, times, containers and connection ids (<c>uid</c>) are not features.
/// </summary>
internal sealed record ZeekHeader(IReadOnlyList<string> Fields, IReadOnlyList<ColumnRole> Roles, byte Separator,
    string FieldsLine, byte[] Unset, byte[] Empty, long DataLine, int NonBlankLines, IReadOnlyList<string> Warnings)
{
    /// <summary>The header, or null when the first non-blank line is not <c>#separator</c>.</summary>
    public static ZeekHeader? TryRead(string path)
    {
        using var lines = new Utf8LineReader(path);
        byte separator = 0;
        string unset = "-", empty = "(empty)";
        string[]? fields = null, types = null;
        string fieldsLine = "";
        long fieldsAt = 0, typesAt = 0, last = 0;
        var nonBlank = 0;
        while (lines.TryReadLine(out var raw))
        {
            var line = Utf8Fields.Trim(raw);
            if (line.IsEmpty) continue;
            if (separator == 0)
            {
                if (!line.StartsWith("#separator"u8) || Utf8Fields.LooksBinary(line)) return null;
                separator = ParseSeparator(path, lines.LineNumber, Utf8Fields.Decode(line["#separator".Length..]).Trim());
                nonBlank++;
                last = lines.LineNumber;
                continue;
            }
            if (line[0] != (byte)'#') break;
            nonBlank++;
            last = lines.LineNumber;
            var text = Utf8Fields.Decode(raw).TrimEnd('\r');
            var cut = text.IndexOf((char)separator);
            var (key, value) = cut < 0 ? (text.Trim(), "") : (text[..cut], text[(cut + 1)..]);
            switch (key)
            {
                case "#unset_field": unset = value; break;
                case "#empty_field": empty = value; break;
                case "#fields": (fields, fieldsLine, fieldsAt) = (value.Split((char)separator), text, lines.LineNumber); break;
                case "#types": (types, typesAt) = (value.Split((char)separator), lines.LineNumber); break;
            }
        }
        if (fields is null) throw new DataFormatException(path, "Zeek log: the header has no #fields line");
        if (types is not null && types.Length != fields.Length)
            throw new DataFormatException(path, typesAt, 0, $"Zeek log: #types lists {types.Length} types for {fields.Length} #fields");
        var warnings = new List<string>();
        var roles = new ColumnRole[fields.Length];
        for (var f = 0; f < fields.Length; f++)
        {
            if (fields[f] is "uid" or "fuid" || ColumnNames.IsRowId(fields[f])) { roles[f] = ColumnRole.Ignored; continue; }
            if (ColumnNames.IsLabel(fields[f])) { roles[f] = ColumnRole.Label; continue; }
            roles[f] = types?[f] switch
            {
                null => ColumnRole.Numeric, // no #types: the reader refuses a non-number by line and column
                "count" or "int" or "double" or "interval" => ColumnRole.Numeric,
                "string" or "enum" or "bool" or "port" => ColumnRole.Categorical,
                "addr" or "subnet" or "time" => ColumnRole.Ignored,
                var t when t.StartsWith("set[", StringComparison.Ordinal) || t.StartsWith("vector[", StringComparison.Ordinal) => ColumnRole.Ignored,
                var t => Unknown(t, f),
            };
        }
        return new ZeekHeader(fields, roles, separator, fieldsLine, System.Text.Encoding.UTF8.GetBytes(unset),
            System.Text.Encoding.UTF8.GetBytes(empty), last, nonBlank, warnings);

        ColumnRole Unknown(string type, int f)
        {
            warnings.Add($"{path}: line {typesAt}: Zeek field '{fields[f]}' has type '{type}', not used as a feature");
            return ColumnRole.Ignored;
        }
    }

    /// <summary><c>\x09</c> (Zeek's way of writing its tab) or the character itself.</summary>
    private static byte ParseSeparator(string path, long line, string text)
    {
        if (text.Length == 4 && text.StartsWith("\\x", StringComparison.Ordinal) &&
            byte.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var code)) return code;
        if (text.Length == 1 && text[0] < 128) return (byte)text[0];
        throw new DataFormatException(path, line, 0, $"Zeek log: separator '{text}' is not one byte (e.g. \\x09)");
    }
}
