using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>A shard as a worker holds it: features for EM and scoring, row ids, labels, and raw values for anomalies.</summary>
public sealed class WorkerShard(DataMatrix features, long[] rowIds, string?[]? labels,
    IReadOnlyList<string> numericColumns, IReadOnlyList<string> textColumns, Func<int, (double[] Numbers, string?[] Texts)> rawRow)
{
    public DataMatrix Features { get; } = features;
    public long[] RowIds { get; } = rowIds;
    public string?[]? Labels { get; } = labels;
    public IReadOnlyList<string> NumericColumns { get; } = numericColumns;
    public IReadOnlyList<string> TextColumns { get; } = textColumns;
    public int Rows => Features.Rows;

    /// <summary>The raw (un-preprocessed) values of feature row <paramref name="row"/>; missing numbers are NaN.</summary>
    public (double[] Numbers, string?[] Texts) RawRow(int row) => rawRow(row);
}

/// <summary>How a worker gets a shard (a seam: tests use in-memory shards, production reads the Parquet dataset).</summary>
public interface IShardSource
{
    WorkerShard Load(DatasetRef dataset, int shard);
}

/// <summary>
/// Reads shard files of a sharded dataset through the fitted preprocessor (ShardLoader). Caches the manifest and the
/// parsed preprocessor per dataset; safe for concurrent loads.
/// </summary>
public sealed class DatasetShardSource : IShardSource
{
    private readonly Lock _gate = new();
    private (DatasetRef Dataset, DatasetManifest Manifest, Preprocessor Preprocessor, Func<string?, bool>? Filter)? _cached;

    public WorkerShard Load(DatasetRef dataset, int shard)
    {
        var (manifest, preprocessor, filter) = Resolve(dataset);
        if (shard < 0 || shard >= manifest.Shards.Count)
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"{dataset.DatasetDir} has {manifest.Shards.Count} shards.");
        var loaded = ShardLoader.Load(manifest, shard, preprocessor, filter);
        var raw = loaded.Raw;
        var numeric = new List<int>();
        var text = new List<int>();
        for (var c = 0; c < raw.Columns.Count; c++)
        {
            var role = raw.Columns[c].Role;
            if (role == ColumnRole.Numeric) numeric.Add(c);
            else if (role == ColumnRole.Categorical) text.Add(c);
        }
        var rawRows = loaded.RawRows;
        return new WorkerShard(loaded.Features, loaded.RowIds, loaded.Labels,
            [.. numeric.Select(c => raw.Columns[c].Name)], [.. text.Select(c => raw.Columns[c].Name)],
            row =>
            {
                var r = rawRows[row];
                return ([.. numeric.Select(c => raw.Numbers[c] is { } n ? n[r] : double.NaN)],
                        [.. text.Select(c => raw.Texts[c]?[r])]);
            });
    }

    private (DatasetManifest, Preprocessor, Func<string?, bool>?) Resolve(DatasetRef dataset)
    {
        lock (_gate)
        {
            if (_cached is { } c && ReferenceEquals(c.Dataset, dataset)) return (c.Manifest, c.Preprocessor, c.Filter);
            var manifest = DatasetManifest.Load(dataset.DatasetDir);
            var preprocessor = Preprocessor.FromJson(dataset.PreprocessorJson);
            var filter = LabelFilter(dataset.KeepLabels);
            _cached = (dataset, manifest, preprocessor, filter);
            return (manifest, preprocessor, filter);
        }
    }

    /// <summary>Keeps rows whose label (normalised: trimmed, trailing '.' dropped) is listed; null when the list is empty.</summary>
    public static Func<string?, bool>? LabelFilter(IReadOnlyList<string> keepLabels)
    {
        if (keepLabels.Count == 0) return null;
        var keep = keepLabels.Select(KddSchema.NormalizeLabel).ToHashSet(StringComparer.Ordinal);
        return label => label is not null && keep.Contains(KddSchema.NormalizeLabel(label));
    }
}
