namespace DistGmm.Numerics;

/// <summary>A dense float64 matrix, row-major. Construction rejects NaN/±∞ so the kernels never see them.</summary>
public sealed class DataMatrix
{
    public DataMatrix(double[] values, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "Row count must be non-negative.");
        if (cols <= 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "Column count must be positive.");
        if ((long)rows * cols != values.Length)
            throw new ArgumentException($"DataMatrix: {values.Length} values do not make {rows} rows × {cols} columns.", nameof(values));
        int bad = FirstNonFinite(values);
        if (bad >= 0)
            throw new NonFiniteValueException(values[bad], bad / cols, bad % cols);
        Values = values;
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }
    public int Cols { get; }

    /// <summary>Row-major values; treat as read-only.</summary>
    public double[] Values { get; }

    public ReadOnlySpan<double> Row(int i) => Values.AsSpan(checked(i * Cols), Cols);

    /// <summary>Rows [start, start+count) as a new matrix sharing nothing (a copy).</summary>
    public DataMatrix Slice(int start, int count) =>
        new(Values.AsSpan(start * Cols, count * Cols).ToArray(), count, Cols);

    private static int FirstNonFinite(double[] values)
    {
        // x - x is 0 for finite x and NaN for NaN/±∞; scan fast, then locate precisely.
        double acc = 0;
        const int Chunk = 4096;
        for (int start = 0; start < values.Length; start += Chunk)
        {
            int end = Math.Min(values.Length, start + Chunk);
            for (int i = start; i < end; i++) acc += values[i] - values[i];
            if (acc != 0 || double.IsNaN(acc))
            {
                for (int i = start; i < end; i++)
                    if (!double.IsFinite(values[i])) return i;
            }
        }
        return -1;
    }
}
