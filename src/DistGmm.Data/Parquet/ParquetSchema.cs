namespace DistGmm.Data.Parquet;

/// <summary>A flat schema: an ordered list of uniquely named leaf columns.</summary>
public sealed class ParquetSchema
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public ParquetSchema(IReadOnlyList<ParquetField> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0) throw new ArgumentException("A schema needs at least one field.", nameof(fields));
        for (int i = 0; i < fields.Count; i++)
        {
            var f = fields[i] ?? throw new ArgumentException($"Field {i} is null.", nameof(fields));
            if (string.IsNullOrEmpty(f.Name)) throw new ArgumentException($"Field {i} has an empty name.", nameof(fields));
            if (f.PhysicalType == PhysicalType.FixedLenByteArray && f.TypeLength <= 0)
                throw new ArgumentException($"Field '{f.Name}' is FIXED_LEN_BYTE_ARRAY and needs a positive TypeLength.", nameof(fields));
            if (!_index.TryAdd(f.Name, i)) throw new ArgumentException($"Duplicate field name '{f.Name}'.", nameof(fields));
        }
        Fields = fields.ToArray();
    }

    public IReadOnlyList<ParquetField> Fields { get; }

    /// <summary>Index of the named field, or -1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out int i) ? i : -1;

    public ParquetField this[string name] =>
        IndexOf(name) is var i and >= 0 ? Fields[i] : throw new KeyNotFoundException($"No column named '{name}'.");
}
