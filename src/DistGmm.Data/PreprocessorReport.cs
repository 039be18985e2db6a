namespace DistGmm.Data;

public sealed record MissingColumnReport(string Column, long Missing, double Fraction);

public sealed record DroppedColumn(string Column, string Reason)
{
    /// <summary>The reason of a column the spec names in dropColumns: the user's choice, not something to warn about.</summary>
    public const string BySpec = "dropped by the preprocessing spec";

    /// <summary>Dropped by a rule over the data (missing fraction, number of categories), not by name.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ByData => Reason != BySpec;
}

/// <summary>
/// The data behind a missingno-style matrix picture: rows grouped into <see cref="Bins"/> consecutive bins of
/// <see cref="RowsPerBin"/> rows; <c>Fractions[bin * Columns.Count + column]</c> is the missing fraction there.
/// </summary>
public sealed record MissingMatrix(IReadOnlyList<string> Columns, long RowsPerBin, int Bins, double[] Fractions);

/// <summary>What preprocessing found when fitting, and (live counters) what it met when transforming.</summary>
public sealed class PreprocessorReport
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, long>> _unseen = new(StringComparer.Ordinal);
    private long _rowsDroppedAtTransform;
    private long _valuesImputedAtTransform;
    private long _rowsUnscorableAtTransform;

    /// <summary>Rows that passed the label filter at fit time.</summary>
    public long FitRows { get; init; }

    /// <summary>Of those, rows dropped for missing values (strategy DropRows).</summary>
    public long FitRowsDropped { get; init; }

    public IReadOnlyList<MissingColumnReport> Missing { get; init; } = [];

    public MissingMatrix? MissingMatrix { get; init; }

    public IReadOnlyList<DroppedColumn> DroppedColumns { get; init; } = [];

    /// <summary>Columns with zero spread at fit time: scaled with divisor 1 (so to 0), never a division by 0.</summary>
    public IReadOnlyList<string> ConstantColumns { get; init; } = [];

    /// <summary>Per column, categories met at transform time that fitting never saw (encoded as all-zero/reserved).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> UnseenCategories
    {
        get
        {
            lock (_gate)
                return _unseen.ToDictionary(p => p.Key,
                    p => (IReadOnlyDictionary<string, long>)new SortedDictionary<string, long>(p.Value, StringComparer.Ordinal));
        }
    }

    public long UnseenCategoryCount
    {
        get { lock (_gate) return _unseen.Values.Sum(d => d.Values.Sum()); }
    }

    /// <summary>Rows left out at transform time for missing values (strategy DropRows).</summary>
    public long RowsDroppedAtTransform => Interlocked.Read(ref _rowsDroppedAtTransform);

    public long ValuesImputedAtTransform => Interlocked.Read(ref _valuesImputedAtTransform);

    /// <summary>Rows left out at shard loading because the transform cannot score them (<see cref="Preprocessor.UnscorableReason"/>).</summary>
    public long RowsUnscorableAtTransform => Interlocked.Read(ref _rowsUnscorableAtTransform);

    internal void RecordTransform(long rowsDropped, long valuesImputed, Dictionary<(string Column, string Value), long>? unseen,
        long rowsUnscorable = 0)
    {
        Interlocked.Add(ref _rowsDroppedAtTransform, rowsDropped);
        Interlocked.Add(ref _rowsUnscorableAtTransform, rowsUnscorable);
        Interlocked.Add(ref _valuesImputedAtTransform, valuesImputed);
        if (unseen is null || unseen.Count == 0) return;
        lock (_gate)
        {
            foreach (var ((column, value), count) in unseen)
            {
                if (!_unseen.TryGetValue(column, out var byValue)) _unseen[column] = byValue = new(StringComparer.Ordinal);
                byValue[value] = byValue.GetValueOrDefault(value) + count;
            }
        }
    }
}
