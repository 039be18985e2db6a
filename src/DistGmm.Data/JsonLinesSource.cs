using System.Text;
using System.Text.Json;

namespace DistGmm.Data;

/// <summary>
/// JSON Lines: one JSON object per line, as Zeek writes its JSON logs, Suricata its eve.json and most log shippers
/// their exports. Nested objects are flattened with '.' (<c>flow.bytes_toserver</c>), as Zeek names its own fields
/// (<c>id.orig_h</c>); arrays are not features. Roles come from the first rows' values (numbers → numeric, strings and
/// booleans → categorical) and from what log fields mean: time stamps, connection and flow ids and a Zeek record's
/// addresses are not features, ports are categorical (a port names a service, it is no magnitude).
/// </summary>
internal sealed class JsonLinesSource : ITableSource
{
    private const int MaxNameChars = 512;
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 32 };

    /// <summary>Fields no log means as a magnitude or a category of the connection itself.</summary>
    private static readonly HashSet<string> NotFeatures = new(StringComparer.OrdinalIgnoreCase)
        { "ts", "timestamp", "@timestamp", "uid", "fuid", "flow_id", "community_id", "pcap_cnt", "tx_id" };

    /// <summary>A visited scalar (or array) of a row: its dotted name and the reader positioned on it.</summary>
    private delegate void ValueVisitor(ReadOnlySpan<char> name, ref Utf8JsonReader reader);

    private readonly DelimitedLayout _layout;
    private readonly Utf8LineReader _lines;
    private readonly BadRowPolicy _policy;
    private readonly RejectSink? _rejects;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _fields;
    private readonly Utf8Interner[] _interners;
    private readonly char[] _name = new char[MaxNameChars];
    private readonly SortedSet<string> _unseen = new(StringComparer.Ordinal);
    private long _rowsWithUnseen;
    private readonly ValueVisitor _store;
    // The row being read, for _store (one delegate for every row: no allocation per row).
    private ColumnBatch? _batch;
    private int _row, _badColumn;
    private string? _reason;
    private bool _rowHasUnseen;

    public JsonLinesSource(string path, DelimitedLayout layout, long estimatedRows, bool synthetic, BadRowPolicy policy, RejectSink? rejects)
    {
        _layout = layout;
        _policy = policy;
        _rejects = rejects;
        _lines = new Utf8LineReader(path);
        var fields = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var f = 0; f < layout.FieldNames.Count; f++) fields[layout.FieldNames[f]] = f;
        _fields = fields.GetAlternateLookup<ReadOnlySpan<char>>();
        _interners = [.. layout.Columns.Select(_ => new Utf8Interner())];
        EstimatedRows = estimatedRows;
        Synthetic = synthetic;
        _store = Store;
    }

    public string Path => _lines.Path;

    public SourceFormat Format => SourceFormat.JsonLines;

    public IReadOnlyList<ColumnInfo> Columns => _layout.Columns;

    public long EstimatedRows { get; }

    public bool Synthetic { get; }

    public long Rejected => _rejects?.Count ?? 0;

    public IReadOnlyList<string> Warnings => _rowsWithUnseen == 0
        ? _layout.Warnings
        : [.. _layout.Warnings, $"{Path}: {_rowsWithUnseen:N0} {(_rowsWithUnseen == 1 ? "row has" : "rows have")} fields the first {_layout.SampledRows:N0} rows do not " +
                                $"({string.Join(", ", _unseen.Take(5))}{(_unseen.Count > 5 ? ", …" : "")}): not used; give a schema file to use them"];

    /// <summary>The layout of a JSON Lines file from its first rows: every field seen, with the role its values give it.</summary>
    public static DelimitedLayout DetectLayout(string path, long firstLine, IReadOnlyList<string> rows, SchemaFile? schema)
    {
        var names = new List<string>();
        var kinds = new Dictionary<string, Kinds>(StringComparer.Ordinal);
        var buffer = new char[MaxNameChars];
        for (var i = 0; i < rows.Count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(rows[i]);
            try
            {
                Walk(bytes, buffer, (ReadOnlySpan<char> name, ref Utf8JsonReader reader) =>
                {
                    var key = name.ToString();
                    if (!kinds.TryGetValue(key, out var seen)) names.Add(key);
                    kinds[key] = seen | reader.TokenType switch
                    {
                        JsonTokenType.Number => Kinds.Number,
                        JsonTokenType.String => Utf8Fields.TryParseNumber(reader.ValueSpan, out _) && !reader.ValueIsEscaped ? Kinds.Number : Kinds.Text,
                        JsonTokenType.True or JsonTokenType.False => Kinds.Text,
                        JsonTokenType.StartArray => Kinds.Array,
                        _ => Kinds.None,
                    };
                });
            }
            catch (JsonException ex) when (i == 0)
            {
                throw new DataFormatException(path, firstLine, (int)(ex.BytePositionInLine ?? 0) + 1, $"not a JSON object: {Reason(ex)}");
            }
            catch (JsonException) { } // a bad row further on is reported by line when it is read
        }
        var zeek = kinds.ContainsKey("uid") && kinds.ContainsKey("id.orig_h");
        var overrides = SchemaFile.RolesByName(schema);
        var warnings = new List<string>();
        var columns = new List<ColumnInfo>();
        foreach (var name in names)
        {
            var kind = kinds[name];
            ColumnRole role;
            if (overrides.TryGetValue(name, out var given)) role = given;
            else if (ColumnNames.IsLabel(name)) role = ColumnRole.Label;
            else if (ColumnNames.IsRowId(name) || NotFeatures.Contains(name) || zeek && name is "id.orig_h" or "id.resp_h") role = ColumnRole.Ignored;
            else if (kind.HasFlag(Kinds.Array))
            {
                role = ColumnRole.Ignored;
                warnings.Add($"{path}: JSON field '{name}' holds arrays: not used as a feature");
            }
            else if (name.EndsWith("_port", StringComparison.OrdinalIgnoreCase) || name is "id.orig_p" or "id.resp_p") role = ColumnRole.Categorical;
            else role = kind == Kinds.Number ? ColumnRole.Numeric : ColumnRole.Categorical;
            columns.Add(new ColumnInfo(name, role));
        }
        if (columns.Count == 0) throw new DataFormatException(path, firstLine, 1, "JSON Lines: the first rows have no fields");
        return TableSources.Build(path, SourceFormat.JsonLines, 0, 0, columns, (byte)'\n') with
        {
            Warnings = warnings,
            FieldNames = names,
            SampledRows = rows.Count,
        };
    }

    [Flags]
    private enum Kinds { None = 0, Number = 1, Text = 2, Array = 4 }

    public bool ReadBatch(ColumnBatch batch, int maxRows)
    {
        var row = 0;
        var limit = Math.Min(maxRows, batch.Capacity);
        while (row < limit && _lines.TryReadLine(out var line))
        {
            if (Utf8Fields.Trim(line).IsEmpty) continue;
            if (TryParseRow(line, batch, row, out var column, out var reason)) row++;
            else RejectSink.RejectOrFail(_rejects, _policy, Path, _lines.LineNumber, column, reason, line);
        }
        batch.Count = row;
        return row > 0;
    }

    private bool TryParseRow(ReadOnlySpan<byte> line, ColumnBatch batch, int row, out int badColumn, out string reason)
    {
        // Fields a row does not have are missing.
        for (var c = 0; c < _layout.Columns.Count; c++)
        {
            if (batch.Numbers[c] is { } numbers) numbers[row] = double.NaN;
            else if (batch.Texts[c] is { } texts) texts[row] = null;
        }
        (_batch, _row, _badColumn, _reason, _rowHasUnseen) = (batch, row, 0, null, false);
        try
        {
            Walk(line, _name, _store);
        }
        catch (JsonException ex)
        {
            badColumn = (int)(ex.BytePositionInLine ?? 0) + 1;
            reason = $"not valid JSON: {Reason(ex)}";
            return false;
        }
        if (_reason is not null)
        {
            badColumn = _badColumn;
            reason = _reason;
            return false;
        }
        if (_rowHasUnseen) _rowsWithUnseen++;
        badColumn = 0;
        reason = "";
        return true;
    }

    private void Store(ReadOnlySpan<char> name, ref Utf8JsonReader reader)
    {
        if (_reason is not null) return;
        if (!_fields.TryGetValue(name, out var f))
        {
            _rowHasUnseen = true;
            if (_unseen.Count < 6) _unseen.Add(name.ToString());
            return;
        }
        var c = _layout.FieldToColumn[f];
        if (c < 0 || reader.TokenType is JsonTokenType.Null) return;
        if (!TryStore(ref reader, c, _batch!, _row, out _reason)) _badColumn = (int)reader.TokenStartIndex + 1;
    }

    private bool TryStore(ref Utf8JsonReader reader, int c, ColumnBatch batch, int row, out string? reason)
    {
        reason = null;
        var column = _layout.Columns[c];
        if (column.Role == ColumnRole.Numeric)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var number) && double.IsFinite(number)
                || reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && Utf8Fields.TryParseNumber(reader.ValueSpan, out number))
            {
                batch.Numbers[c]![row] = number;
                return true;
            }
            if (reader.TokenType == JsonTokenType.String && Utf8Fields.IsMissing(reader.ValueSpan)) return true;
            reason = $"{Describe(ref reader)} in numeric field '{column.Name}' is not a number";
            return false;
        }
        ReadOnlySpan<byte> text;
        switch (reader.TokenType)
        {
            case JsonTokenType.String when reader.ValueIsEscaped:
                batch.Texts[c]![row] = _interners[c].Intern(reader.GetString().AsSpan());
                return true;
            case JsonTokenType.String or JsonTokenType.Number: text = reader.ValueSpan; break;
            case JsonTokenType.True: text = "true"u8; break;
            case JsonTokenType.False: text = "false"u8; break;
            default:
                reason = $"{Describe(ref reader)} in field '{column.Name}' is not a value";
                return false;
        }
        if (column.Role == ColumnRole.Label && text.Length > 1 && text[^1] == (byte)'.') text = text[..^1]; // normal. == normal
        batch.Texts[c]![row] = Utf8Fields.IsMissing(text) ? null : _interners[c].Intern(text);
        return true;
    }

    /// <summary>System.Text.Json's message without its own position (the error names line and column already).</summary>
    private static string Reason(JsonException ex) => ex.Message.Split(" LineNumber:")[0];

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String or JsonTokenType.Number => $"'{Encoding.UTF8.GetString(reader.ValueSpan)}'",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Visits every value of the line's object, nested objects flattened (their names joined with '.'); an array is
    /// visited at its start and then skipped. Anything but one object on the line is a <see cref="JsonException"/>.
    /// </summary>
    private static void Walk(ReadOnlySpan<byte> line, char[] name, ValueVisitor visit)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a row must be one JSON object");
        Span<int> prefix = stackalloc int[ReaderOptions.MaxDepth + 1];
        var depth = 0;
        var length = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var start = prefix[depth];
                    if (reader.ValueSpan.Length > name.Length - start - 1) throw new JsonException("a field name is too long");
                    length = start + reader.CopyString(name.AsSpan(start));
                    break;
                case JsonTokenType.StartObject:
                    if (length + 1 >= name.Length) throw new JsonException("a field name is too long");
                    name[length] = '.';
                    prefix[++depth] = length + 1;
                    break;
                case JsonTokenType.EndObject:
                    if (depth-- == 0)
                    {
                        if (reader.Read()) throw new JsonException("more than one JSON value on the line");
                        return;
                    }
                    break;
                case JsonTokenType.StartArray:
                    visit(name.AsSpan(0, length), ref reader);
                    reader.Skip();
                    break;
                default:
                    visit(name.AsSpan(0, length), ref reader);
                    break;
            }
        }
        throw new JsonException("the object is not closed on its line");
    }

    public void Dispose() => _lines.Dispose();
}
