using DistGmm.Data;
using DistGmm.Testing;

namespace DistGmm.Cluster.Tests;

/// <summary>Ingests reference data once per test run into a temp folder (deleted at the end).</summary>
public sealed class DatasetFixture : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _datasets = [];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "distgmm-cluster-tests-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The dataset folder of <paramref name="input"/> ingested into <paramref name="shards"/> shards.</summary>
    public string Dataset(string input, int shards)
    {
        lock (_gate)
        {
            var key = $"{input}|{shards}";
            if (_datasets.TryGetValue(key, out var dir)) return dir;
            dir = Path.Combine(Root, $"ds-{_datasets.Count}");
            Ingestion.Ingest(new IngestOptions(input, dir, shards));
            _datasets[key] = dir;
            return dir;
        }
    }

    public string Blobs(int shards = 5) => Dataset(RepoPaths.InShared("fixtures", "gmm", "blobs4d.csv"), shards);

    public string KddHead(int shards = 4) => Dataset(RepoPaths.InShared("data", "KDDCup99_head500.csv"), shards);

    public string Kdd10Percent(int shards = 8) => Dataset(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"), shards);

    /// <summary>Every 100th row of the KDD 10% file (raw format, ~4,900 rows, normal traffic and attacks).</summary>
    public string KddSample(int shards = 4)
    {
        var sample = Path.Combine(Root, "kdd-sample.data");
        lock (_gate)
        {
            if (!File.Exists(sample))
            {
                Directory.CreateDirectory(Root);
                using var gz = new System.IO.Compression.GZipStream(File.OpenRead(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")),
                    System.IO.Compression.CompressionMode.Decompress);
                using var reader = new StreamReader(gz);
                using var writer = new StreamWriter(sample);
                var n = 0;
                for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
                    if (n++ % 100 == 0) writer.WriteLine(line);
            }
        }
        return Dataset(sample, shards);
    }

    public string NewOutDir() => Path.Combine(Root, "out-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
