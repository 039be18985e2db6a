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
/// parsed preprocessor per dataset; safe for concurrent loads. The raw values (for anomaly rows) are held compactly
/// (<see cref="CompactRawRows"/>): as a raw batch they took more memory than the features.
/// </summary>
/// <param name="verifyShards">Check each shard's SHA-256 against the manifest as it is read (off: --no-verify).</param>
public sealed class DatasetShardSource(bool verifyShards = true) : IShardSource
{
    private readonly Lock _gate = new();
    private (DatasetRef Dataset, DatasetManifest Manifest, Preprocessor Preprocessor, Func<string?, bool>? Filter)? _cached;

    public WorkerShard Load(DatasetRef dataset, int shard)
    {
        var (manifest, preprocessor, filter) = Resolve(dataset);
        if (shard < 0 || shard >= manifest.Shards.Count)
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"{dataset.DatasetDir} has {manifest.Shards.Count} shards.");
        var loaded = ShardLoader.LoadFeatures(manifest, shard, preprocessor, filter, verifyShards);
        var columns = loaded.RawColumns;
        var numeric = new List<int>();
        var text = new List<int>();
        for (var c = 0; c < columns.Count; c++)
        {
            var role = columns[c].Role;
            if (role == ColumnRole.Numeric) numeric.Add(c);
            else if (role == ColumnRole.Categorical) text.Add(c);
        }
        var raw = loaded.CompactRaw!;
        // Reading a shard leaves ~250 MB of garbage (row groups, decoded pages) per 600k KDD rows, which the GC lets
        // pile up while the loads run; a collection per shard keeps the peak near what the workers hold.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        return new WorkerShard(loaded.Features, loaded.RowIds, loaded.Labels,
            [.. numeric.Select(c => columns[c].Name)], [.. text.Select(c => columns[c].Name)],
            row => ([.. numeric.Select(c => raw.Number(row, c))], [.. text.Select(c => raw.Text(row, c))]));
    }

    private (DatasetManifest, Preprocessor, Func<string?, bool>?) Resolve(DatasetRef dataset)
    {
        lock (_gate)
        {
            if (_cached is { } c && ReferenceEquals(c.Dataset, dataset)) return (c.Manifest, c.Preprocessor, c.Filter);
            // A new job: give back what came before it (e.g. fitting the preprocessor reads whole shards per pass)
            // before its shards take their place.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
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

/// <summary>
/// Hands out the shards a previous job of the same process loaded when the next job reads the same rows the same way
/// (same dataset folder, row filter and preprocessor): `run` trains then scores, and the scoring job would otherwise
/// read and preprocess every shard again. The features are the very same arrays, so the results are unchanged.
/// Holds one dataset reading at a time (a job with another reading drops the previous one's shards).
/// </summary>
public sealed class ReusingShardSource(IShardSource inner) : IShardSource
{
    private readonly Lock _gate = new();
    private string? _key;
    private (DatasetRef Dataset, string Key)? _lastKey;   // jobs pass one DatasetRef instance to every load
    private readonly Dictionary<int, Lazy<WorkerShard>> _shards = [];

    public WorkerShard Load(DatasetRef dataset, int shard)
    {
        Lazy<WorkerShard> entry;
        lock (_gate)
        {
            if (_lastKey is not { } last || !ReferenceEquals(last.Dataset, dataset)) _lastKey = (dataset, Key(dataset));
            var key = _lastKey.Value.Key;
            if (key != _key)
            {
                _shards.Clear();
                _key = key;
            }
            if (!_shards.TryGetValue(shard, out entry!))
                _shards[shard] = entry = new Lazy<WorkerShard>(() => inner.Load(dataset, shard));
        }
        try
        {
            return entry.Value;
        }
        catch
        {
            // Failed loads are not kept: a retry (e.g. after a worker restart) reads again.
            lock (_gate)
                if (_shards.TryGetValue(shard, out var e) && ReferenceEquals(e, entry)) _shards.Remove(shard);
            throw;
        }
    }

    /// <summary>Drops every held shard (the end of the jobs that share them).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _shards.Clear();
            _key = null;
            _lastKey = null;
        }
    }

    /// <summary>
    /// What decides a shard's rows and features: the folder, the label filter and the preprocessor in canonical form
    /// (the JSON of a model file is formatted differently from a freshly fitted preprocessor's; equal canonical JSON
    /// means equal parameters, so equal features).
    /// </summary>
    private static string Key(DatasetRef dataset) =>
        string.Join('\n', Path.GetFullPath(dataset.DatasetDir), string.Join('\u0001', dataset.KeepLabels),
            Preprocessor.FromJson(dataset.PreprocessorJson).ToJson());
}
