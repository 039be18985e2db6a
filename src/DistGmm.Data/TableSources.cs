namespace DistGmm.Data;

/// <summary>Recognises an input's format and opens it as a streaming table.</summary>
internal static class TableSources
{
    private const int InferenceSampleRows = 1000;

    public static ITableSource Open(string path, string? schemaFile, BadRowPolicy policy, RejectSink? rejects)
    {
        if (Directory.Exists(path) || ParquetSource.IsParquetFile(path)) return ParquetSource.Open(path, schemaFile);
        if (!File.Exists(path)) throw new DataFormatException(path, "input file not found");
        var layout = DetectLayout(path, schemaFile is null ? null : SchemaFile.Load(schemaFile));
        var lines = Utf8LineReader.CountNonEmptyLines(path) - layout.PreambleLines;
        if (layout.Format == SourceFormat.JsonLines)
            return new JsonLinesSource(path, layout, Math.Max(lines, 0), Synthesizer.IsMarkedSynthetic(path), policy, rejects);
        return new DelimitedSource(path, layout, Math.Max(lines, 0), Synthesizer.IsMarkedSynthetic(path), policy, rejects);
    }

    public static DelimitedLayout DetectLayout(string path, SchemaFile? schema)
    {
        if (ArffHeader.TryRead(path) is { } arff) return ArffLayout(path, arff, schema);
        if (ZeekHeader.TryRead(path) is { } zeek) return ZeekLayout(path, zeek, schema);
        var (first, firstLine, sampleLines) = ReadHead(path);
        if (first is null) throw new DataFormatException(path, "the file is empty");
        if (first.TrimStart() is ['{', ..]) return JsonLinesSource.DetectLayout(path, firstLine, [first, .. sampleLines], schema);
        var delimiter = DetectDelimiter(first, sampleLines);
        var firstFields = SplitText(first, delimiter, out var unclosed);
        if (unclosed > 0) throw new DataFormatException(path, firstLine, unclosed, UnclosedQuote);
        var sample = sampleLines.Select(line => SplitText(line, delimiter, out _)).ToList();
        var decimalComma = delimiter != (byte)',' && UsesDecimalComma([firstFields, .. sample]);
        var hasHeader = schema?.Header ?? LooksLikeHeader(firstFields, decimalComma);

        if (schema is { Header: false })
        {
            if (schema.Columns.Count != firstFields.Length)
                throw new DataFormatException(path, 1, 0,
                    $"the schema file lists {schema.Columns.Count} columns but the line has {firstFields.Length} fields");
            return Build(path, SourceFormat.Csv, 0, 0, schema.Columns, delimiter, decimalComma);
        }

        if (!hasHeader)
        {
            // Headerless: the KDD layouts are recognised by their field count; 41 is KDD's unlabelled test data
            // (kddcup.testdata.unlabeled), the traffic nobody has labelled.
            if (firstFields.Length == 41) return Build(path, SourceFormat.KddRaw, 0, 0, [.. KddSchema.Columns.Take(41)], delimiter, decimalComma);
            if (firstFields.Length == 42) return Build(path, SourceFormat.KddRaw, 0, 0, KddSchema.Columns, delimiter, decimalComma);
            if (firstFields.Length == 43)
                return Build(path, SourceFormat.NslKdd, 0, 0, [.. KddSchema.Columns, new ColumnInfo("difficulty", ColumnRole.Ignored)],
                    delimiter, decimalComma);
            throw new DataFormatException(path, 1, 0,
                $"cannot recognise the format: {firstFields.Length} fields and no header (KDD has 41 unlabelled or 42, NSL-KDD 43); " +
                "give a schema file that names the columns");
        }

        var names = firstFields.Select(KddSchema.CanonicalName).ToArray();
        if (names.Distinct().Count() != names.Length)
            throw new DataFormatException(path, firstLine, 0, "the header repeats a column name");
        var overrides = SchemaFile.RolesByName(schema);
        // NSL-KDD's CSVs call the label attack or outcome and add a difficulty level: still KDD.
        var isKdd = KddSchema.HasFeatures(names);
        var columns = new ColumnInfo[names.Length];
        for (var f = 0; f < names.Length; f++)
        {
            ColumnRole role;
            if (overrides.TryGetValue(names[f], out var given) || overrides.TryGetValue(firstFields[f], out given)) role = given;
            else if (isKdd) role = ColumnNames.KddRole(names[f]);
            else role = InferRole(names[f], sample.Select(s => f < s.Length ? s[f] : ""), decimalComma);
            columns[f] = new ColumnInfo(names[f], role);
        }
        // Blank lines before the header are part of the preamble: the rows start after the header's line.
        return Build(path, isKdd ? SourceFormat.KddHeader : SourceFormat.Csv, firstLine, 1, columns, delimiter, decimalComma);
    }

    /// <summary>
    /// ARFF columns take their roles from the declared types; a file with the 41 KDD features (NSL-KDD's
    /// <c>KDDTrain+.arff</c>) gets the KDD roles instead, as a KDD CSV does, so both forms of one dataset preprocess alike.
    /// </summary>
    private static DelimitedLayout ArffLayout(string path, ArffHeader header, SchemaFile? schema)
    {
        var names = header.Attributes.Select(a => KddSchema.CanonicalName(a.Name)).ToArray();
        for (var f = 0; f < names.Length; f++)
            if (Array.IndexOf(names, names[f]) != f)
                throw new DataFormatException(path, header.Attributes[f].Line, 0, $"ARFF: attribute '{names[f]}' is declared twice");
        var overrides = SchemaFile.RolesByName(schema);
        var isKdd = KddSchema.HasFeatures(names);
        var columns = new ColumnInfo[names.Length];
        for (var f = 0; f < names.Length; f++)
        {
            var declared = header.Attributes[f];
            ColumnRole role;
            if (overrides.TryGetValue(names[f], out var given) || overrides.TryGetValue(declared.Name, out given)) role = given;
            else if (isKdd) role = ColumnNames.KddRole(names[f]);
            else if (ColumnNames.IsLabel(names[f])) role = ColumnRole.Label;
            else if (ColumnNames.IsRowId(names[f])) role = ColumnRole.Ignored;
            else role = declared.Role;
            columns[f] = new ColumnInfo(names[f], role);
        }
        return Build(path, SourceFormat.Arff, header.DataLine, header.NonBlankLines, columns, (byte)',') with
        {
            Warnings = header.Warnings,
            SparseDefaults = [.. header.Attributes.Select(a => a.SparseDefault is { } d ? System.Text.Encoding.UTF8.GetBytes(d) : null)],
            FieldNames = [.. header.Attributes.Select(a => a.Name)],
        };
    }

    /// <summary>A Zeek log's columns take their roles from its #types (<see cref="ZeekHeader"/>), or from a schema file.</summary>
    private static DelimitedLayout ZeekLayout(string path, ZeekHeader header, SchemaFile? schema)
    {
        if (header.Fields.Distinct().Count() != header.Fields.Count)
            throw new DataFormatException(path, "Zeek log: #fields repeats a field name");
        var overrides = SchemaFile.RolesByName(schema);
        var columns = header.Fields.Select((name, f) => new ColumnInfo(name, overrides.GetValueOrDefault(name, header.Roles[f]))).ToList();
        return Build(path, SourceFormat.Zeek, header.DataLine, header.NonBlankLines, columns, header.Separator) with
        {
            Warnings = header.Warnings,
            MissingTokens = [header.Unset, header.Empty],
            HeaderFieldsLine = header.FieldsLine,
        };
    }

    internal static DelimitedLayout Build(string path, SourceFormat format, long dataStartLine, int preambleLines,
        IReadOnlyList<ColumnInfo> fields, byte delimiter, bool decimalComma = false)
    {
        var kept = new List<ColumnInfo>();
        var map = new int[fields.Count];
        for (var f = 0; f < fields.Count; f++)
        {
            if (fields[f].Role is ColumnRole.Ignored or ColumnRole.RowId) { map[f] = -1; continue; }
            map[f] = kept.Count;
            kept.Add(fields[f]);
        }
        ColumnNames.RequireOneLabel(path, kept);
        return new DelimitedLayout(format, dataStartLine, preambleLines, fields.Count, kept, map, delimiter) { DecimalComma = decimalComma };
    }

    private static ColumnRole InferRole(string name, IEnumerable<string> values, bool decimalComma)
    {
        if (ColumnNames.IsLabel(name)) return ColumnRole.Label;
        if (ColumnNames.IsRowId(name)) return ColumnRole.Ignored;
        var anyValue = false;
        foreach (var raw in values)
        {
            var value = raw.Trim();
            if (Utf8Fields.IsMissing(value)) continue;
            anyValue = true;
            // Infinity (CIC-IDS's rate of a zero-length flow) is a number out of range, not a category: the column stays
            // numeric and such a row is refused by name (or skipped and counted), never one-hot encoded.
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            if (!TryParseNumber(bytes, decimalComma) && !Utf8Fields.IsOutOfRange(bytes)) return ColumnRole.Categorical;
        }
        return anyValue ? ColumnRole.Numeric : ColumnRole.Categorical;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> field, bool decimalComma) =>
        decimalComma ? Utf8Fields.TryParseDecimalComma(field, out _) : Utf8Fields.TryParseNumber(field, out _);

    /// <summary>
    /// A file separated by ';' (or tab, '|') whose numbers have a decimal comma: some field is such a number
    /// (<c>0,5</c>) and none is a decimal with a point (<c>0.5</c>), which would make the comma mean something else.
    /// </summary>
    internal static bool UsesDecimalComma(IEnumerable<string[]> rows)
    {
        var comma = false;
        foreach (var row in rows)
            foreach (var text in row)
            {
                var field = System.Text.Encoding.UTF8.GetBytes(text.Trim());
                if (field.AsSpan().IndexOfAny((byte)',', (byte)'.') < 0) continue;
                if (field.AsSpan().IndexOf((byte)'.') >= 0 && Utf8Fields.TryParseNumber(field, out _)) return false;
                comma |= Utf8Fields.TryParseDecimalComma(field, out _);
            }
        return comma;
    }

    /// <summary>A header's first field is not a number and the next line's is (or every header field is a name).</summary>
    private static bool LooksLikeHeader(string[] fields, bool decimalComma)
    {
        var numeric = fields.Count(f => TryParseNumber(System.Text.Encoding.UTF8.GetBytes(f.Trim()), decimalComma));
        if (numeric > 0) return false;
        var names = fields.Select(KddSchema.CanonicalName).ToHashSet();
        if (names.Contains("duration") || names.Contains(KddSchema.LabelName)) return true;
        // A raw KDD line always has numbers; an all-text line of distinct values is taken as a header.
        return names.Count == fields.Length;
    }

    /// <summary>The first non-blank line (and its line number), and the non-blank lines after it up to the sample size.</summary>
    private static (string? First, long FirstLine, List<string> Sample) ReadHead(string path)
    {
        using var lines = new Utf8LineReader(path);
        string? first = null;
        long firstLine = 0;
        var sample = new List<string>();
        while (sample.Count < InferenceSampleRows && lines.TryReadLine(out var line))
        {
            if (Utf8Fields.Trim(line).IsEmpty) continue;
            if (first is null && Utf8Fields.LooksBinary(line))
                throw new DataFormatException(path, lines.LineNumber, 0, "binary data (control bytes): not a delimited text file");
            var text = Utf8Fields.Decode(line);
            if (first is null) (first, firstLine) = (text, lines.LineNumber);
            else sample.Add(text);
        }
        return (first, firstLine, sample);
    }

    internal const string UnclosedQuote = "unterminated quote: the '\"' that opens this field is not closed on its line";

    private static readonly byte[] OtherDelimiters = [(byte)';', (byte)'\t', (byte)'|'];

    /// <summary>
    /// Commas, unless the first line has none and ';', tab or '|' splits it into as many fields (at least 2) as most of
    /// the lines after it: a semicolon or tab separated file read at commas would be one column whose header is the first
    /// row. A single-column file whose first line merely contains such a character keeps commas.
    /// </summary>
    internal static byte DetectDelimiter(string first, IReadOnlyList<string> sample)
    {
        var commaFields = FieldCount(first, (byte)',');
        // Commas all between digits may be decimal commas (0,5) in a file separated by another delimiter: that one wins
        // if it splits the line into more fields than the commas do.
        if (commaFields > 1 && !OnlyBetweenDigits(first, ',')) return (byte)',';
        foreach (var delimiter in OtherDelimiters)
        {
            var fields = FieldCount(first, delimiter);
            if (fields >= 2 && fields > commaFields && 2 * sample.Count(line => FieldCount(line, delimiter) == fields) >= sample.Count)
                return delimiter;
        }
        return (byte)',';
    }

    private static bool OnlyBetweenDigits(string line, char c)
    {
        for (var i = line.IndexOf(c); i >= 0; i = line.IndexOf(c, i + 1))
            if (i == 0 || i == line.Length - 1 || !char.IsAsciiDigit(line[i - 1]) || !char.IsAsciiDigit(line[i + 1])) return false;
        return true;
    }

    /// <summary>How a delimiter reads in a message: <c>';'</c>, <c>tab</c>.</summary>
    internal static string DelimiterName(byte delimiter) => delimiter == (byte)'\t' ? "tab" : $"'{(char)delimiter}'";

    private static int FieldCount(string line, byte delimiter) =>
        Utf8Fields.Split(System.Text.Encoding.UTF8.GetBytes(line), [], delimiter);

    private static string[] SplitText(string line, byte delimiter, out int unclosedQuote)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line);
        var ranges = new Range[Utf8Fields.Split(bytes, [], delimiter)];
        Utf8Fields.Split(bytes, ranges, delimiter, out unclosedQuote);
        return ranges.Select(r => Utf8Fields.Decode(Utf8Fields.Trim(bytes.AsSpan()[r]))).ToArray();
    }
}
