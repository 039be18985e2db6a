namespace DistGmm.Data;

/// <summary>What a column's name says it is, the same for text and Parquet inputs.</summary>
internal static class ColumnNames
{
    private static readonly HashSet<string> LabelNames = new(StringComparer.OrdinalIgnoreCase)
        { "label", "labels", "class", "attack", "attack_type", "attack_cat", "outcome", "target" };

    // A row identifier is not a feature: its value only says where a row sat in some file. pandas writes its index as
    // "Unnamed: 0" (CSV read back), "" (CSV header) or "__index_level_0__" (Parquet).
    private static readonly HashSet<string> RowIdNames = new(StringComparer.OrdinalIgnoreCase)
        { "rowId", "id", "index", "", "Unnamed: 0", "__index_level_0__" };

    public static bool IsLabel(string name) => LabelNames.Contains(name.Trim());

    public static bool IsRowId(string name) => RowIdNames.Contains(name.Trim());

    /// <summary>
    /// Two label-like columns (UNSW-NB15's attack_cat and label) must not leave one behind as a feature: the reader asks
    /// which is the label instead of choosing.
    /// </summary>
    public static void RequireOneLabel(string path, IEnumerable<ColumnInfo> columns)
    {
        if (columns.Where(c => c.Role == ColumnRole.Label).Select(c => c.Name).ToList() is { Count: > 1 } labels)
            throw new DataFormatException(path,
                $"more than one label column ({string.Join(", ", labels)}); mark all but one \"ignored\" in a schema file (--schema)");
    }

    /// <summary>A column's role in a KDD table: the feature's own, the label, or ignored (a difficulty level, an id).</summary>
    public static ColumnRole KddRole(string name) =>
        KddSchema.Columns.FirstOrDefault(c => c.Name == name)?.Role ?? (IsLabel(name) ? ColumnRole.Label : ColumnRole.Ignored);
}
