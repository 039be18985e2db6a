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

    /// <summary>Zeek logs: <c>#</c> lines (a later header block, <c>#close</c>) between rows; fields are never quoted.</summary>
    public bool IsZeek => Format == SourceFormat.Zeek;

    /// <summary>Tokens that also mean "missing" in this file (a Zeek log's unset and empty fields).</summary>
    public IReadOnlyList<byte[]> MissingTokens { get; init; } = [];

    /// <summary>Zeek: the header's #fields line, which a later header block (concatenated logs) must repeat.</summary>
    public string HeaderFieldsLine { get; init; } = "";

    /// <summary>ARFF: per field, what a sparse row's omitted value means (null: it may not be omitted).</summary>
    public IReadOnlyList<byte[]?> SparseDefaults { get; init; } = [];

    /// <summary>JSON Lines: how many rows the fields and their roles were read from.</summary>
    public int SampledRows { get; init; }

    /// <summary>ARFF and JSON Lines: every field's name (ignored fields too).</summary>
    public IReadOnlyList<string> FieldNames { get; init; } = [];
}

/// <summary>Reads raw KDD, header CSV, NSL-KDD, ARFF, Zeek and schema-described CSV files, streaming, byte by byte.</summary>
internal sealed class DelimitedSource : ITableSource
{
    private readonly DelimitedLayout _layout;
    private readonly Utf8LineReader _lines;
    private readonly BadRowPolicy _policy;
    private readonly RejectSink? _rejects;
    private readonly Utf8Interner[] _interners;
    private readonly Range[] _ranges;
    private readonly Range[] _entries, _given; // a sparse ARFF row's "index value" entries; each field's value among them
    private byte[] _dense = new byte[256];     // a sparse ARFF row written out dense
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
        _entries = new Range[layout.IsArff ? layout.FieldCount + 1 : 0];
        _given = new Range[layout.IsArff ? layout.FieldCount : 0];
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
        : [.. _layout.Warnings, $"{Path}: read as {TableSources.DelimiterName(_layout.Delimiter)}-separated" +
                                (_layout.DecimalComma ? ", numbers with a decimal comma (e.g. '0,5')" : " (its first line has no commas)")];

    public bool ReadBatch(ColumnBatch batch, int maxRows)
    {
        var row = 0;
        var limit = Math.Min(maxRows, batch.Capacity);
        while (row < limit && _lines.TryReadLine(out var line))
        {
            var trimmed = Utf8Fields.Trim(line);
            if (trimmed.IsEmpty || (_layout.IsArff && trimmed[0] == (byte)'%')) continue;
            if (_layout.IsZeek && trimmed[0] == (byte)'#')
            {
                // Logs concatenated (cat conn.*.log) repeat their header: fine while the fields are the same.
                if (trimmed.StartsWith("#fields"u8) && Utf8Fields.Decode(line).TrimEnd('\r') != _layout.HeaderFieldsLine)
                    throw new DataFormatException(Path, _lines.LineNumber, 1,
                        "Zeek log: this #fields line lists other fields than the header's (logs of different kinds concatenated?)");
                continue;
            }
            if (TryParseRow(line, batch, row, out var column, out var reason)) row++;
            else RejectSink.RejectOrFail(_rejects, _policy, Path, _lines.LineNumber, column, reason, line);
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
        if (_layout.IsArff && Utf8Fields.Trim(line) is [(byte)'{', ..] sparse)
            return TryDensify(sparse, out badColumn, out reason) && TryParseFields(_dense, batch, row, out badColumn, out reason);
        var fieldCount = Utf8Fields.Split(line, _ranges, _layout.Delimiter, out var unclosedQuote, _layout.IsArff, quotes: !_layout.IsZeek);
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
        return TryParseFields(line, batch, row, out badColumn, out reason);
    }

    /// <summary>The row's fields, at <see cref="_ranges"/> in <paramref name="text"/>, into the batch.</summary>
    private bool TryParseFields(ReadOnlySpan<byte> text, ColumnBatch batch, int row, out int badColumn, out string reason)
    {
        var fieldToColumn = _layout.FieldToColumn;
        for (var f = 0; f < _layout.FieldCount; f++)
        {
            var c = fieldToColumn[f];
            if (c < 0) continue;
            var field = Utf8Fields.Trim(text[_ranges[f]]);
            switch (_roles[c])
            {
                case ColumnRole.Numeric:
                    double value;
                    if (IsMissing(field)) value = double.NaN;
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
                    batch.Texts[c]![row] = IsMissing(field) ? null : _interners[c].Intern(field);
                    break;
                default:
                    batch.Texts[c]![row] = IsMissing(field) ? null : _interners[c].Intern(field);
                    break;
            }
        }
        badColumn = 0;
        reason = "";
        return true;
    }

    private bool IsMissing(ReadOnlySpan<byte> field)
    {
        if (Utf8Fields.IsMissing(field)) return true;
        var tokens = _layout.MissingTokens; // indexed: a foreach over the interface would allocate per field
        for (var t = 0; t < tokens.Count; t++)
            if (field.SequenceEqual(tokens[t])) return true;
        return false;
    }

    /// <summary>
    /// A sparse ARFF row, <c>{index value, …}</c> (indices from 0, ascending, as Weka writes them), as the dense row it
    /// stands for in <see cref="_dense"/> with each field at <see cref="_ranges"/>: an omitted attribute is 0, a nominal
    /// one its first declared value; a missing value is written (<c>?</c>), never omitted.
    /// </summary>
    private bool TryDensify(ReadOnlySpan<byte> row, out int badColumn, out string reason)
    {
        badColumn = 1;
        reason = "";
        if (row[^1] != (byte)'}')
        {
            reason = "a sparse ARFF row's '{' is not closed by '}' on its line";
            return false;
        }
        var fields = _layout.FieldCount;
        var inner = row[1..^1];
        var entries = Utf8Fields.Trim(inner).IsEmpty ? 0 : Utf8Fields.Split(inner, _entries, (byte)',');
        if (entries > fields)
        {
            reason = $"a sparse ARFF row with {entries} values; the header declares {fields} attributes";
            return false;
        }
        Array.Fill(_given, default);
        var previous = -1;
        for (var e = 0; e < entries; e++)
        {
            var entry = Utf8Fields.Trim(inner[_entries[e]]);
            var digits = 0;
            var index = 0;
            for (; digits < entry.Length && entry[digits] is >= (byte)'0' and <= (byte)'9'; digits++)
                index = Math.Min(index * 10 + (entry[digits] - '0'), int.MaxValue / 10);
            var value = Utf8Fields.Trim(entry[digits..]);
            if (digits == 0 || value.Length == entry.Length - digits || value.IsEmpty)
            {
                badColumn = previous + 2;
                reason = $"'{Utf8Fields.Decode(entry)}' in a sparse ARFF row is not 'index value'";
                return false;
            }
            if (index >= fields || index <= previous)
            {
                badColumn = Math.Min(index, fields - 1) + 1;
                reason = index >= fields
                    ? $"sparse ARFF index {Utf8Fields.Decode(entry[..digits])}: the header declares attributes 0 to {fields - 1}"
                    : $"sparse ARFF index {index} after {previous}: indices must ascend";
                return false;
            }
            var start = _entries[e].Start.Value + (inner[_entries[e]].Length - inner[_entries[e]].TrimStart(" \t"u8).Length) +
                        (entry.Length - value.Length);
            var quoted = value is [(byte)'"', .., (byte)'"'] or [(byte)'\'', .., (byte)'\'']; // as a dense row's field may be
            if (quoted) start++;
            _given[index] = new Range(start, start + value.Length - (quoted ? 2 : 0));
            previous = index;
        }
        var length = 0;
        for (var f = 0; f < fields; f++) length += _given[f].Equals(default(Range)) ? _layout.SparseDefaults[f]?.Length ?? 0 : inner[_given[f]].Length;
        if (_dense.Length < length) _dense = new byte[Math.Max(length, 2 * _dense.Length)];
        var at = 0;
        for (var f = 0; f < fields; f++)
        {
            ReadOnlySpan<byte> value;
            if (!_given[f].Equals(default(Range))) value = inner[_given[f]];
            else if (_layout.SparseDefaults[f] is { } omitted) value = omitted;
            else if (_layout.FieldToColumn[f] < 0) value = [];
            else
            {
                badColumn = f + 1;
                reason = $"a sparse ARFF row omits string attribute '{_layout.FieldNames[f]}', which has no default: write its value";
                return false;
            }
            value.CopyTo(_dense.AsSpan(at));
            _ranges[f] = new Range(at, at + value.Length);
            at += value.Length;
        }
        return true;
    }

    public void Dispose() => _lines.Dispose();
}
