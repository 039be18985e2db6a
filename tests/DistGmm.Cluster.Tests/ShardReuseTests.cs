using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>`run` scores on the shards its training job loaded (no second read) with exactly the outputs of train + score.</summary>
public sealed class ShardReuseTests(DatasetFixture data) : IClassFixture<DatasetFixture>
{
    [Fact]
    public async Task Run_reads_each_shard_once_and_writes_what_train_then_score_write()
    {
        var dataset = data.KddSample();
        var em = new EmOptions(2, CovarianceType.Full, Seed: 42, MaxIter: 20);
        var counting = new CountingSource();
        var runDir = data.NewOutDir();
        await EmbeddedJob.RunAsync(new RunJobSpec(dataset, PreprocessingSpec.Preset("seed"), em, 2, [], ThresholdRule.Default, runDir,
            Cluster: new ClusterOptions(ShardSource: counting)));
        var shards = DatasetManifest.Load(dataset).Shards.Count;
        Assert.Equal(Enumerable.Repeat(1, shards), counting.LoadsPerShard(shards));

        var separateDir = data.NewOutDir();
        var train = await EmbeddedJob.TrainAsync(new TrainJobSpec(dataset, PreprocessingSpec.Preset("seed"), em, 2, [], separateDir));
        await EmbeddedJob.ScoreAsync(new ScoreJobSpec(train.ModelPath, dataset, 2, ThresholdRule.Default, separateDir));
        foreach (var file in new[] { "scores.parquet", "anomalies.parquet", "anomalies.csv" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(separateDir, file)), File.ReadAllBytes(Path.Combine(runDir, file)));
    }

    [Fact]
    public async Task Training_on_some_labels_reads_the_shards_again_for_scoring_every_row()
    {
        var dataset = data.KddSample();
        var counting = new CountingSource();
        var run = await EmbeddedJob.RunAsync(new RunJobSpec(dataset, PreprocessingSpec.Preset("seed"), new EmOptions(2, CovarianceType.Diag, MaxIter: 5),
            2, ["normal"], ThresholdRule.Default, data.NewOutDir(), Cluster: new ClusterOptions(ShardSource: counting)));
        var shards = DatasetManifest.Load(dataset).Shards.Count;
        Assert.Equal(Enumerable.Repeat(2, shards), counting.LoadsPerShard(shards));
        Assert.Equal(DatasetManifest.Load(dataset).TotalRows, run.Score.Summary.Rows);
    }

    private sealed class CountingSource : IShardSource
    {
        private readonly DatasetShardSource _inner = new();
        private readonly int[] _loads = new int[64];

        public WorkerShard Load(DatasetRef dataset, int shard)
        {
            Interlocked.Increment(ref _loads[shard]);
            return _inner.Load(dataset, shard);
        }

        public int[] LoadsPerShard(int shards) => _loads[..shards];
    }
}
