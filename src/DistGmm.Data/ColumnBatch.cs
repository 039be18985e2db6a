namespace DistGmm.Data;

/// <summary>
/// A block of rows stored by column: numeric columns as doubles (NaN = missing), categorical and label columns as
/// interned strings (null = missing). The unit that flows from readers to shard writers and into the preprocessor.
/// </summary>
public sealed class ColumnBatch
{
    public ColumnBatch(IReadOnlyList<ColumnInfo> columns, int capacity)
    {
        Columns = columns;
        Capacity = capacity;
        RowIds = new long[capacity];
        Numbers = new double[]?[columns.Count];
        Texts = new string?[]?[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            switch (columns[c].Role)
            {
                case ColumnRole.Numeric: Numbers[c] = new double[capacity]; break;
                case ColumnRole.Categorical or ColumnRole.Label: Texts[c] = new string?[capacity]; break;
            }
        }
    }

    public IReadOnlyList<ColumnInfo> Columns { get; }

    public int Capacity { get; }

    /// <summary>Rows in use (the arrays may be longer).</summary>
    public int Count { get; set; }

    public long[] RowIds { get; }

    /// <summary>Per column: the values of a numeric column, else null.</summary>
    public double[]?[] Numbers { get; }

    /// <summary>Per column: the values of a categorical or label column, else null.</summary>
    public string?[]?[] Texts { get; }

    public int IndexOf(string name)
    {
        for (var c = 0; c < Columns.Count; c++)
            if (Columns[c].Name == name) return c;
        return -1;
    }

    /// <summary>The label column's values, or null when the data has no label.</summary>
    public string?[]? Labels
    {
        get
        {
            for (var c = 0; c < Columns.Count; c++)
                if (Columns[c].Role == ColumnRole.Label) return Texts[c];
            return null;
        }
    }

    /// <summary>A boxed raw value (for reports and anomaly output, not for hot paths).</summary>
    public object? GetValue(int row, int column)
    {
        if (Numbers[column] is { } numbers) return double.IsNaN(numbers[row]) ? null : numbers[row];
        return Texts[column]?[row];
    }
}
