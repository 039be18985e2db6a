namespace DistGmm.Data;

/// <summary>How one input column becomes output features.</summary>
public enum FeatureKind { Numeric, LabelCode, OneHot }

/// <summary>
/// The fitted treatment of one input column, in the order applied: impute → log1p → encode → scale.
/// MinMax outputs <c>x·Scale + Offset</c> (as scikit-learn computes it); Standard/ModeCentred output
/// <c>(x − Center) / Divisor</c>; one-hot outputs are 0/1 and unscaled.
/// </summary>
public sealed record FittedColumn
{
    public required string Name { get; init; }

    public required FeatureKind Kind { get; init; }

    /// <summary>Value used for a missing number (mean, median or mode); NaN when not imputed this way.</summary>
    public double ImputeNumber { get; init; } = double.NaN;

    /// <summary>Category used for a missing categorical value (the mode); null when not imputed.</summary>
    public string? ImputeCategory { get; init; }

    public bool Log1p { get; init; }

    /// <summary>Categories seen at fit, sorted ordinally (sklearn LabelEncoder order); code = index.
    /// An unseen category gets the reserved code <c>Categories.Count</c> (label) or all zeros (one-hot); scoring
    /// (<see cref="Preprocessor.SelectScorableRows"/>) leaves a label-encoded one out as unscorable instead.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    public Scaling Scaling { get; init; }

    public double Scale { get; init; } = 1;

    public double Offset { get; init; }

    public double Center { get; init; }

    public double Divisor { get; init; } = 1;

    public bool Constant { get; init; }

    /// <summary>First output feature index and how many outputs (1, or the category count for one-hot).</summary>
    public int OutputOffset { get; init; }

    public int OutputWidth { get; init; } = 1;
}

/// <summary>The seeded sample of complete rows that KNN imputation searches, over the numeric feature columns.</summary>
public sealed record KnnReference(IReadOnlyList<string> Columns, double[] Ranges, double[][] Rows);
