using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistGmm.Data;

/// <summary>One shard file of a dataset: rows [FirstRowId, FirstRowId + Rows) of the global row order.</summary>
public sealed record ShardInfo(string File, long Rows, string Sha256, long FirstRowId);

/// <summary>How the shards were written: the page codec (e.g. SNAPPY, ZSTD) and the Parquet library with its version.</summary>
public sealed record ShardStorage(string Codec, string Library);

/// <summary>What ingestion saw in one column: missing values, range and mean (numeric) or category counts.</summary>
public sealed record ColumnSummary(
    string Name, ColumnRole Role, long Missing, double? Min = null, double? Max = null, double? Mean = null,
    IReadOnlyDictionary<string, long>? Categories = null);

/// <summary>
/// A sharded dataset on disk: <c>DIR/manifest.json</c> + <c>DIR/shard-00000.parquet</c> … Shards hold the raw
/// values, a stable int64 <c>rowId</c> (0-based, contiguous across shards in shard order) and the label if present.
/// </summary>
public sealed class DatasetManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public int Version { get; init; } = CurrentVersion;

    /// <summary>The input this dataset was ingested from.</summary>
    public string Source { get; init; } = "";

    public SourceFormat SourceFormat { get; init; }

    /// <summary>True when the rows were synthesised by bootstrap resampling (not real observations).</summary>
    public bool Synthetic { get; init; }

    public long TotalRows { get; init; }

    /// <summary>Rows per normalised label (<c>normal.</c> counted as <c>normal</c>); empty without a label.</summary>
    public IReadOnlyDictionary<string, long> LabelCounts { get; init; } = new Dictionary<string, long>();

    /// <summary>Rows skipped as malformed (see <see cref="RejectsFile"/>).</summary>
    public long RejectedRows { get; init; }

    /// <summary>The rejects file beside the manifest, when rows were skipped.</summary>
    public string? RejectsFile { get; init; }

    /// <summary>The shard files' columns in order, starting with <c>rowId</c>.</summary>
    public IReadOnlyList<ColumnInfo> Columns { get; init; } = [];

    /// <summary>Per-column statistics of the raw data (missing counts, ranges, categories).</summary>
    public IReadOnlyList<ColumnSummary> ColumnSummaries { get; init; } = [];

    public IReadOnlyList<ShardInfo> Shards { get; init; } = [];

    /// <summary>Codec and library of the shard files (absent in manifests written before it was recorded).</summary>
    public ShardStorage? Storage { get; init; }

    /// <summary>The folder the manifest was loaded from (not serialised).</summary>
    [JsonIgnore]
    public string Directory { get; private set; } = "";

    /// <summary>The feature and label columns (everything but the row id).</summary>
    [JsonIgnore]
    public IReadOnlyList<ColumnInfo> DataColumns => Columns.Where(c => c.Role != ColumnRole.RowId).ToList();

    public string ShardPath(int shard) => Path.Combine(Directory, Shards[shard].File);

    public static bool Exists(string path) => File.Exists(Path.Combine(path, FileName));

    public static DatasetManifest Load(string datasetDir)
    {
        var path = Path.Combine(datasetDir, FileName);
        if (!File.Exists(path))
            throw DataFormatException.Verbatim(datasetDir, $"{datasetDir} has no {FileName}: run 'distgmm ingest' first");
        DatasetManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(path), Json)
                       ?? throw new JsonException("the manifest is null");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}" : "";
            throw new DataFormatException(path, $"invalid manifest{where}: {e.Message}", e);
        }
        if (manifest.Version > CurrentVersion)
            throw new DataFormatException(path, $"manifest version {manifest.Version} is newer than this program ({CurrentVersion})");
        manifest.Directory = Path.GetFullPath(datasetDir);
        return manifest;
    }

    public void Save(string datasetDir)
    {
        System.IO.Directory.CreateDirectory(datasetDir);
        var path = Path.Combine(datasetDir, FileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, path, overwrite: true);
        Directory = Path.GetFullPath(datasetDir);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Checks every shard's size and SHA-256 against the manifest; returns the problems found.</summary>
    public IReadOnlyList<string> Verify()
    {
        var problems = new List<string>();
        for (var s = 0; s < Shards.Count; s++)
        {
            var path = ShardPath(s);
            if (!File.Exists(path)) { problems.Add($"{path}: missing"); continue; }
            var sha = ShardFiles.Sha256(path);
            if (sha != Shards[s].Sha256) problems.Add($"{path}: SHA-256 {sha} differs from the manifest's {Shards[s].Sha256}");
        }
        return problems;
    }
}
