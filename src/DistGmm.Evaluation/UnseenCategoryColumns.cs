using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Evaluation;

/// <summary>
/// One-hot columns for the categories that occur in the data but not in the training rows (labels are not
/// looked at). The fitted preprocessor maps such a category to all zeros, which hides it; DAGMM's preprocessing
/// one-hot encodes over the whole file's vocabulary (≈120 dims), where the column is constant 0 in training and
/// a row that has it is as unlikely as it should be. Appended after the preprocessor's features; 0/1, unscaled.
/// </summary>
public sealed class UnseenCategoryColumns
{
    private readonly (string Column, Dictionary<string, int> Index, int Offset)[] _extra;

    private UnseenCategoryColumns((string, Dictionary<string, int>, int)[] extra, IReadOnlyList<string> names)
    {
        _extra = extra;
        Names = names;
    }

    /// <summary>Names of the appended features (<c>column=value</c>).</summary>
    public IReadOnlyList<string> Names { get; }

    public int Width => Names.Count;

    /// <summary>Categories of <paramref name="vocabulary"/>'s batches missing from the preprocessor's one-hot columns.</summary>
    public static UnseenCategoryColumns Build(Preprocessor preprocessor, IEnumerable<ColumnBatch> vocabulary)
    {
        var batches = vocabulary.ToList();
        var extra = new List<(string, Dictionary<string, int>, int)>();
        var names = new List<string>();
        foreach (var column in preprocessor.Columns.Where(c => c.Kind == FeatureKind.OneHot))
        {
            var known = column.Categories!.ToHashSet(StringComparer.Ordinal);
            var unseen = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var batch in batches)
            {
                var c = batch.IndexOf(column.Name);
                if (c < 0 || batch.Texts[c] is not { } texts) continue;
                for (var r = 0; r < batch.Count; r++)
                    if (texts[r] is { } t && !known.Contains(t)) unseen.Add(t);
            }
            if (unseen.Count == 0) continue;
            extra.Add((column.Name, unseen.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal), names.Count));
            names.AddRange(unseen.Select(v => $"{column.Name}={v}"));
        }
        return new UnseenCategoryColumns([.. extra], names);
    }

    /// <summary>The preprocessed rows with the extra columns appended (a new matrix; the input when there are none).</summary>
    public DataMatrix Append(DataMatrix features, ColumnBatch batch, ReadOnlySpan<int> rows)
    {
        if (Width == 0) return features;
        if (rows.Length != features.Rows) throw new ArgumentException("rows and features differ in length");
        var d = features.Cols + Width;
        var values = new double[features.Rows * d];
        for (var i = 0; i < features.Rows; i++) features.Row(i).CopyTo(values.AsSpan(i * d));
        foreach (var (column, index, offset) in _extra)
        {
            var texts = batch.Texts[batch.IndexOf(column)]!;
            for (var i = 0; i < rows.Length; i++)
                if (texts[rows[i]] is { } t && index.TryGetValue(t, out var slot)) values[i * d + features.Cols + offset + slot] = 1;
        }
        return new DataMatrix(values, features.Rows, d);
    }
}
