using DistGmm.Numerics;

namespace DistGmm.Data;

/// <summary>One shard, loaded and transformed: features for EM, the rows' ids and labels, and the raw values.</summary>
public sealed class LoadedShard
{
    internal LoadedShard(string path, DataMatrix features, long[] rowIds, string?[]? labels, ColumnBatch raw, int[] rawRows)
    {
        Path = path;
        Features = features;
        RowIds = rowIds;
        Labels = labels;
        Raw = raw;
        RawRows = rawRows;
    }

    public string Path { get; }

    /// <summary>Row-major float64 features, one row per kept row.</summary>
    public DataMatrix Features { get; }

    /// <summary>The dataset's stable row id of each feature row.</summary>
    public long[] RowIds { get; }

    /// <summary>The normalised label of each feature row, or null when the dataset has no label.</summary>
    public string?[]? Labels { get; }

    public int Rows => Features.Rows;

    /// <summary>The whole shard's raw values (including rows not kept); use <see cref="RawRows"/> to index it.</summary>
    public ColumnBatch Raw { get; }

    /// <summary>For each feature row, its row in <see cref="Raw"/>.</summary>
    public int[] RawRows { get; }

    /// <summary>The raw data columns (label included, row id excluded).</summary>
    public IReadOnlyList<ColumnInfo> RawColumns => Raw.Columns;

    /// <summary>The raw value of feature row <paramref name="row"/> in <paramref name="column"/> (null when missing).</summary>
    public object? GetRaw(int row, string column)
    {
        var c = Raw.IndexOf(column);
        if (c < 0) throw new ArgumentException($"no column '{column}' in {Path}", nameof(column));
        return Raw.GetValue(RawRows[row], c);
    }
}

/// <summary>Loads shards for workers: Parquet → raw batch → the fitted preprocessor → <see cref="DataMatrix"/>.</summary>
public static class ShardLoader
{
    /// <summary>Loads a shard of the dataset whose manifest sits beside it.</summary>
    public static LoadedShard Load(string shardPath, Preprocessor preprocessor, Func<string?, bool>? rowFilterByLabel = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(shardPath))!;
        var manifest = DatasetManifest.Load(directory);
        var raw = ShardFiles.Read(shardPath, manifest.DataColumns);
        return Transform(shardPath, raw, preprocessor, rowFilterByLabel);
    }

    /// <summary>Loads shard <paramref name="shard"/> of a dataset.</summary>
    public static LoadedShard Load(DatasetManifest manifest, int shard, Preprocessor preprocessor,
        Func<string?, bool>? rowFilterByLabel = null)
    {
        var path = manifest.ShardPath(shard);
        return Transform(path, ShardFiles.Read(path, manifest.DataColumns), preprocessor, rowFilterByLabel);
    }

    /// <summary>Reads a shard's raw values without preprocessing (row ids in <see cref="ColumnBatch.RowIds"/>).</summary>
    public static ColumnBatch ReadRaw(string shardPath)
    {
        var manifest = DatasetManifest.Load(Path.GetDirectoryName(Path.GetFullPath(shardPath))!);
        return ShardFiles.Read(shardPath, manifest.DataColumns);
    }

    internal static LoadedShard Transform(string path, ColumnBatch raw, Preprocessor preprocessor, Func<string?, bool>? filter)
    {
        var rows = preprocessor.SelectRows(raw, filter, out var dropped);
        var features = preprocessor.Transform(raw, rows);
        preprocessor.Report.RecordTransform(dropped, 0, null);
        var rowIds = new long[rows.Length];
        for (var i = 0; i < rows.Length; i++) rowIds[i] = raw.RowIds[rows[i]];
        string?[]? labels = null;
        if (raw.Labels is { } all)
        {
            labels = new string?[rows.Length];
            for (var i = 0; i < rows.Length; i++) labels[i] = all[rows[i]];
        }
        return new LoadedShard(path, features, rowIds, labels, raw, rows);
    }
}
