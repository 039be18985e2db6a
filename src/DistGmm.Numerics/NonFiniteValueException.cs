namespace DistGmm.Numerics;

/// <summary>
/// A matrix was built with NaN or ±∞ (a value of the data, not a bug of the caller): a data error that workers report
/// once to the coordinator instead of crashing and retrying the same shard.
/// </summary>
public sealed class NonFiniteValueException(double value, int row, int column)
    : ArgumentException($"non-finite value {value} at row {row}, column {column} (0-based) of the feature matrix; " +
                        "impute or drop such rows before training.")
{
    public int Row { get; } = row;
    public int Column { get; } = column;
}
