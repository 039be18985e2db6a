namespace DistGmm.Data;

/// <summary>How the fields of a delimited file map to columns.</summary>
internal sealed record DelimitedLayout(
    SourceFormat Format,
    long DataStartLine, // the line the rows start after (a header's, ARFF's @data); 0: the rows start at line 1
    int PreambleLines,  // non-blank lines up to DataStartLine, none of them rows
    int FieldCount,
    IReadOnlyList<ColumnInfo> Columns,
    int[] FieldToColumn, // -1: ignored field
    byte Delimiter = (byte)',')
{
    public bool HasHeader => DataStartLine > 0;

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Numbers are written with a decimal comma (<c>0,5</c>); only with another field delimiter than ','.</summary>
    public bool DecimalComma { get; init; }

    public bool TryParseNumber(ReadOnlySpan<byte> field, out double value) =>
        DecimalComma ? Utf8Fields.TryParseDecimalComma(field, out value) : Utf8Fields.TryParseNumber(field, out value);

    /// <summary>ARFF rows may have <c>%</c> comment lines between them and single-quoted values.</summary>
    public bool IsArff => Format == SourceFormat.Arff;
}

/// <summary>Reads raw KDD, header CSV, NSL-KDD, ARFF and schema-described CSV files, streaming, byte by byte.</summary>
internal sealed class DelimitedSource : ITableSource
{
    private readonly DelimitedLayout _layout;
    private readonly Utf8LineReader _lines;
    private readonly BadRowPolicy _policy;
    private readonly RejectSink? _rejects;
    private readonly Utf8Interner[] _interners;
    private readonly Range[] _ranges;
    private readonly ColumnRole[] _roles;

    public DelimitedSource(string path, DelimitedLayout layout, long estimatedRows, bool synthetic,
        BadRowPolicy policy, RejectSink? rejects)
    {
        _layout = layout;
        _policy = policy;
        _rejects = rejects;
        _lines = new Utf8LineReader(path);
        _interners = layout.Columns.Select(_ => new Utf8Interner()).ToArray();
        _ranges = new Range[layout.FieldCount + 1];
        _roles = layout.Columns.Select(c => c.Role).ToArray();
        EstimatedRows = estimatedRows;
        Synthetic = synthetic;
        while (_lines.LineNumber < layout.DataStartLine && _lines.TryReadLine(out _)) { }
    }

    public string Path => _lines.Path;

    public SourceFormat Format => _layout.Format;

    public bool HasHeader => _layout.HasHeader;

    public IReadOnlyList<ColumnInfo> Columns => _layout.Columns;

    public long EstimatedRows { get; }

    public bool Synthetic { get; }

    public long Rejected => _rejects?.Count ?? 0;

    public IReadOnlyList<string> Warnings => _layout.Delimiter == (byte)','
        ? _layout.Warnings
        : [.. _layout.Warnings, $"{Path}: read as {TableSources.DelimiterName(_layout.Delimiter)}-separated (its first line has no commas)" +
                                (_layout.DecimalComma ? ", numbers with a decimal comma (e.g. '0,5')" : "")];

    public bool ReadBatch(ColumnBatch batch, int maxRows)
    {
        var row = 0;
        var limit = Math.Min(maxRows, batch.Capacity);
        while (row < limit && _lines.TryReadLine(out var line))
        {
            var trimmed = Utf8Fields.Trim(line);
            if (trimmed.IsEmpty || (_layout.IsArff && trimmed[0] == (byte)'%')) continue;
            if (TryParseRow(line, batch, row, out var column, out var reason)) row++;
            else if (_policy == BadRowPolicy.Fail || _rejects is null)
                throw new DataFormatException(Path, _lines.LineNumber, column, reason);
            else _rejects.Reject(_lines.LineNumber, column, reason,
                Utf8Fields.LooksBinary(line) ? "(binary data not copied)" : Utf8Fields.Decode(line));
        }
        batch.Count = row;
        return row > 0;
    }

    private bool TryParseRow(ReadOnlySpan<byte> line, ColumnBatch batch, int row, out int badColumn, out string reason)
    {
        if (Utf8Fields.LooksBinary(line))
        {
            badColumn = 0;
            reason = "binary data (control bytes), not a text row";
            return false;
        }
        if (_layout.IsArff && Utf8Fields.Trim(line) is [(byte)'{', ..])
        {
            badColumn = 1;
            reason = "a sparse ARFF row ({index value, …}) — only dense rows are read; save the file as dense ARFF or CSV";
            return false;
        }
        var fieldCount = Utf8Fields.Split(line, _ranges, _layout.Delimiter, out var unclosedQuote);
        if (unclosedQuote > 0)
        {
            // Checked first: the open quote swallowed the fields after it, so their count says nothing.
            badColumn = unclosedQuote;
            reason = TableSources.UnclosedQuote;
            return false;
        }
        if (fieldCount != _layout.FieldCount)
        {
            badColumn = Math.Min(fieldCount, _layout.FieldCount) + 1;
            reason = $"expected {_layout.FieldCount} fields, found {fieldCount}";
            return false;
        }
        var fieldToColumn = _layout.FieldToColumn;
        for (var f = 0; f < fieldCount; f++)
        {
            var c = fieldToColumn[f];
            if (c < 0) continue;
            var field = Utf8Fields.Trim(line[_ranges[f]]);
            if (_layout.IsArff && field is [(byte)'\'', .., (byte)'\'']) field = field[1..^1]; // ARFF quotes values with either quote
            switch (_roles[c])
            {
                case ColumnRole.Numeric:
                    double value;
                    if (Utf8Fields.IsMissing(field)) value = double.NaN;
                    else if (!_layout.TryParseNumber(field, out value))
                    {
                        badColumn = f + 1;
                        reason = $"'{Utf8Fields.Decode(field)}' in numeric column '{_layout.Columns[c].Name}' is not a " +
                                 (Utf8Fields.IsOutOfRange(field) ? "finite number (a double holds up to ±1.8e308)" : "number") +
                                 (_layout.DecimalComma ? " (this file's numbers have a decimal comma, e.g. '0,5')" : "");
                        return false;
                    }
                    batch.Numbers[c]![row] = value;
                    break;
                case ColumnRole.Label:
                    if (field.Length > 1 && field[^1] == (byte)'.') field = field[..^1]; // normal. == normal
                    batch.Texts[c]![row] = Utf8Fields.IsMissing(field) ? null : _interners[c].Intern(field);
                    break;
                default:
                    batch.Texts[c]![row] = Utf8Fields.IsMissing(field) ? null : _interners[c].Intern(field);
                    break;
            }
        }
        badColumn = 0;
        reason = "";
        return true;
    }

    public void Dispose() => _lines.Dispose();
}
