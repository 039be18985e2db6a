using DistGmm.Data;

namespace DistGmm.Evaluation;

/// <summary>
/// A whole dataset's raw rows in memory (one column batch, shards concatenated in order) with normalised labels:
/// the protocols choose rows by index, so both DistGmm and the reference script can see the very same rows.
/// </summary>
public sealed class KddTable
{
    public KddTable(ColumnBatch batch, IReadOnlyList<int> shardRowCounts)
    {
        Batch = batch;
        ShardRowCounts = shardRowCounts;
        var labels = batch.Labels ?? throw new ArgumentException("the data has no label column; evaluation needs labels");
        Labels = new string[batch.Count];
        _normal = new bool[batch.Count];
        for (var r = 0; r < batch.Count; r++)
        {
            Labels[r] = labels[r] is { } l ? KddSchema.NormalizeLabel(l)
                : throw new ArgumentException($"row {batch.RowIds[r]}: missing label; evaluation needs every row labelled");
            _normal[r] = KddSchema.IsNormalLabel(Labels[r]);
        }
    }

    private readonly bool[] _normal;

    public ColumnBatch Batch { get; }

    /// <summary>Rows per ingested shard, in order (so a protocol can keep the shard partitioning of a run).</summary>
    public IReadOnlyList<int> ShardRowCounts { get; }

    /// <summary>Labels without the raw file's trailing dot.</summary>
    public string[] Labels { get; }

    public int Count => Batch.Count;

    public IReadOnlyList<ColumnInfo> Columns => Batch.Columns;

    /// <summary>Normal traffic (<see cref="KddSchema.IsNormalLabel"/>); every other label is an attack.</summary>
    public bool IsNormal(int row) => _normal[row];

    /// <summary>Reads every shard of an ingested dataset.</summary>
    public static KddTable Load(DatasetManifest manifest)
    {
        var columns = manifest.DataColumns;
        var parts = Enumerable.Range(0, manifest.Shards.Count).Select(s => ShardLoader.ReadRaw(manifest.ShardPath(s))).ToList();
        return new KddTable(Concat(columns, parts), parts.Select(p => p.Count).ToList());
    }

    /// <summary>The chosen rows of <paramref name="batch"/> as a new batch (row ids kept), in the order given.</summary>
    public static ColumnBatch Take(ColumnBatch batch, ReadOnlySpan<int> rows)
    {
        var result = new ColumnBatch(batch.Columns, Math.Max(rows.Length, 1)) { Count = rows.Length };
        for (var i = 0; i < rows.Length; i++) result.RowIds[i] = batch.RowIds[rows[i]];
        for (var c = 0; c < batch.Columns.Count; c++)
        {
            if (batch.Numbers[c] is { } numbers)
            {
                var target = result.Numbers[c]!;
                for (var i = 0; i < rows.Length; i++) target[i] = numbers[rows[i]];
            }
            else if (batch.Texts[c] is { } texts)
            {
                var target = result.Texts[c]!;
                for (var i = 0; i < rows.Length; i++) target[i] = texts[rows[i]];
            }
        }
        return result;
    }

    private static ColumnBatch Concat(IReadOnlyList<ColumnInfo> columns, List<ColumnBatch> parts)
    {
        var total = parts.Sum(p => p.Count);
        var result = new ColumnBatch(columns, Math.Max(total, 1)) { Count = total };
        var offset = 0;
        foreach (var part in parts)
        {
            part.RowIds.AsSpan(0, part.Count).CopyTo(result.RowIds.AsSpan(offset));
            for (var c = 0; c < columns.Count; c++)
            {
                if (part.Numbers[c] is { } n) n.AsSpan(0, part.Count).CopyTo(result.Numbers[c]!.AsSpan(offset));
                else if (part.Texts[c] is { } t) t.AsSpan(0, part.Count).CopyTo(result.Texts[c]!.AsSpan(offset));
            }
            offset += part.Count;
        }
        return result;
    }
}
