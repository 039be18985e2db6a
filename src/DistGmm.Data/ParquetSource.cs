using DistGmm.Data.Parquet;

namespace DistGmm.Data;

/// <summary>Reads a Parquet file, a folder of Parquet files, or a DistGmm dataset as a streaming table.</summary>
internal sealed class ParquetSource : ITableSource
{
    private readonly IReadOnlyList<string> _files;
    private readonly string[] _sourceNames; // per delivered column: the Parquet field name
    private readonly Dictionary<string, string> _labelCache = new(StringComparer.Ordinal);
    private int _fileIndex = -1;
    private ParquetFileReader? _reader;
    private int _rowGroup;
    private ColumnBatch? _group; // the current row group, fully decoded
    private int _groupOffset;

    private ParquetSource(string path, IReadOnlyList<string> files, IReadOnlyList<ColumnInfo> columns,
        string[] sourceNames, long rows, bool synthetic, IReadOnlyList<string> warnings)
    {
        Warnings = warnings;
        Path = path;
        _files = files;
        Columns = columns;
        _sourceNames = sourceNames;
        EstimatedRows = rows;
        Synthetic = synthetic;
    }

    public string Path { get; }

    public SourceFormat Format => SourceFormat.Parquet;

    public IReadOnlyList<ColumnInfo> Columns { get; }

    public long EstimatedRows { get; }

    public bool Synthetic { get; }

    public long Rejected => 0;

    public IReadOnlyList<string> Warnings { get; }

    public static bool IsParquetFile(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("PAR1"u8);
    }

    public static ParquetSource Open(string path, string? schemaFile)
    {
        var synthetic = false;
        IReadOnlyList<string> files;
        if (Directory.Exists(path))
        {
            if (DatasetManifest.Exists(path))
            {
                var manifest = DatasetManifest.Load(path);
                files = manifest.Shards.Select(s => System.IO.Path.Combine(path, s.File)).ToList();
                synthetic = manifest.Synthetic;
            }
            else files = Directory.GetFiles(path, "*.parquet").Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new DataFormatException(path, "the folder has no .parquet files");
        }
        else files = [path];

        var overrides = SchemaFile.RolesByName(schemaFile is null ? null : SchemaFile.Load(schemaFile));
        long rows = 0;
        ParquetSchema? schema = null;
        var warnings = new List<string>();
        foreach (var file in files)
        {
            using var reader = ParquetFileReader.Open(file);
            // Nested columns (groups, lists, maps) are not features: skipped, said once; asked for by a schema file, an error.
            if (schema is null && reader.NestedColumns.Count > 0)
            {
                if (reader.NestedColumns.FirstOrDefault(n => overrides.TryGetValue(KddSchema.CanonicalName(n), out var r) && r != ColumnRole.Ignored) is { } wanted)
                    throw new DataFormatException(file, $"column '{wanted}' is nested (a group, list or map); only flat columns can be read");
                warnings.Add($"{file}: nested columns skipped (only flat columns are read): {string.Join(", ", reader.NestedColumns)}");
            }
            rows += reader.TotalRows;
            synthetic |= reader.KeyValueMetadata.TryGetValue(Synthesizer.SyntheticKey, out var s) && s == "true";
            schema ??= reader.Schema;
            if (!SameFields(schema, reader.Schema))
                throw new DataFormatException(file, $"its columns differ from those of {files[0]}");
        }

        var columns = new List<ColumnInfo>();
        var names = new List<string>();
        var isKdd = KddSchema.HasFeatures(schema!.Fields.Select(f => KddSchema.CanonicalName(f.Name)));
        foreach (var field in schema.Fields)
        {
            var name = KddSchema.CanonicalName(field.Name);
            var role = overrides.TryGetValue(name, out var given) || overrides.TryGetValue(field.Name, out given)
                ? given
                : InferRole(field, name, isKdd);
            if (role is ColumnRole.Ignored or ColumnRole.RowId) continue;
            if (role == ColumnRole.Numeric && !IsNumeric(field))
                throw new DataFormatException(files[0], $"column '{field.Name}' is {field.PhysicalType}, not numeric");
            if (role != ColumnRole.Numeric && !field.IsString)
                throw new DataFormatException(files[0], $"column '{field.Name}' is {field.PhysicalType}, not text");
            columns.Add(new ColumnInfo(name, role));
            names.Add(field.Name);
        }
        ColumnNames.RequireOneLabel(path, columns);
        return new ParquetSource(path, files, columns, [.. names], rows, synthetic, warnings);
    }

    private static bool SameFields(ParquetSchema a, ParquetSchema b) =>
        a.Fields.Count == b.Fields.Count &&
        a.Fields.Zip(b.Fields).All(p => p.First.Name == p.Second.Name && p.First.PhysicalType == p.Second.PhysicalType);

    /// <summary>Numbers, DECIMAL in any physical type and FLOAT16: what <see cref="ParquetFileReader.ReadDoubles"/> reads.</summary>
    private static bool IsNumeric(ParquetField field) =>
        field.PhysicalType is PhysicalType.Double or PhysicalType.Float or PhysicalType.Int32 or PhysicalType.Int64
        || field.PhysicalType is PhysicalType.ByteArray or PhysicalType.FixedLenByteArray && field.LogicalKind is LogicalKind.Decimal or LogicalKind.Float16;

    private static ColumnRole InferRole(ParquetField field, string name, bool isKdd)
    {
        if (name.Equals("rowId", StringComparison.OrdinalIgnoreCase)) return ColumnRole.RowId; // a DistGmm dataset's own
        if (isKdd) return ColumnNames.KddRole(name);
        if (ColumnNames.IsRowId(name)) return ColumnRole.Ignored;
        if (field.IsString) return ColumnNames.IsLabel(name) ? ColumnRole.Label : ColumnRole.Categorical;
        return IsNumeric(field) ? ColumnRole.Numeric : ColumnRole.Ignored;
    }

    public bool ReadBatch(ColumnBatch batch, int maxRows)
    {
        var row = 0;
        var limit = Math.Min(maxRows, batch.Capacity);
        while (row < limit)
        {
            if (_group is null || _groupOffset >= _group.Count)
            {
                if (!LoadNextRowGroup()) break;
                continue;
            }
            var take = Math.Min(limit - row, _group.Count - _groupOffset);
            for (var c = 0; c < Columns.Count; c++)
            {
                if (_group.Numbers[c] is { } numbers) Array.Copy(numbers, _groupOffset, batch.Numbers[c]!, row, take);
                else Array.Copy(_group.Texts[c]!, _groupOffset, batch.Texts[c]!, row, take);
            }
            _groupOffset += take;
            row += take;
        }
        batch.Count = row;
        return row > 0;
    }

    private bool LoadNextRowGroup()
    {
        while (_reader is null || _rowGroup >= _reader.RowGroupCount)
        {
            _reader?.Dispose();
            _reader = null;
            if (++_fileIndex >= _files.Count) return false;
            _reader = ParquetFileReader.Open(_files[_fileIndex]);
            _rowGroup = 0;
        }
        var rows = checked((int)_reader.RowGroupRowCount(_rowGroup));
        if (_group is null || _group.Capacity < rows) _group = new ColumnBatch(Columns, Math.Max(rows, 1));
        for (var c = 0; c < Columns.Count; c++)
        {
            if (_group.Numbers[c] is { } numbers)
            {
                _reader.ReadDoubles(_rowGroup, _sourceNames[c], numbers.AsSpan(0, rows));
                continue;
            }
            var column = _reader.ReadColumn(_rowGroup, _sourceNames[c]);
            var texts = _group.Texts[c]!;
            var strings = column.Strings!;
            var isLabel = Columns[c].Role == ColumnRole.Label;
            for (var i = 0; i < rows; i++)
            {
                var value = column.IsNull(i) ? null : strings[i];
                texts[i] = value is null || Utf8Fields.IsMissing(value) ? null : isLabel ? Label(value) : value;
            }
        }
        _group.Count = rows;
        _groupOffset = 0;
        _rowGroup++;
        return true;
    }

    private string Label(string raw)
    {
        if (_labelCache.TryGetValue(raw, out var label)) return label;
        label = KddSchema.NormalizeLabel(raw);
        _labelCache[raw] = label;
        return label;
    }

    public void Dispose() => _reader?.Dispose();
}
