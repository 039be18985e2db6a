using Akka.Actor;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>The worker actor on its own, with a probe as the coordinator (every message through the binary serializer).</summary>
public sealed class WorkerActorTests(DatasetFixture data) : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing), IClassFixture<DatasetFixture>
{
    private static readonly DataMatrix[] Shards = Synthetic.Shards([40, 70, 30]);

    [Fact]
    public void Announces_itself_loads_once_and_answers_per_shard_with_the_partition_result()
    {
        var source = new InMemoryShardSource(Shards);
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w7", 2, source)));
        Assert.Equal(new WorkerReady("w7", 2), coordinator.ExpectMsg<WorkerReady>());
        Assert.Equal(worker, coordinator.LastSender);

        coordinator.Send(worker, new LoadShards("j", Synthetic.Dataset, [0, 2]));
        coordinator.Send(worker, new LoadShards("j", Synthetic.Dataset, [2]));   // again: confirmed, not reloaded
        var loaded = coordinator.ReceiveN(3).Cast<ShardLoaded>().ToList();
        Assert.Equal([(0, 40L), (2, 30L), (2, 30L)], loaded.Select(l => (l.Shard, l.Rows)));
        Assert.Equal(2, source.Loads);

        var model = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2)).Model;
        var pass = new EStepPass(9, model);
        coordinator.Send(worker, new ComputePass("j", 9, pass, [new ShardSlice(2, 110), new ShardSlice(0, 0)]));
        var replies = coordinator.ReceiveN(2).Cast<ShardStatsComputed>().OrderBy(r => r.Shard).ToList();
        Assert.Equal(PartitionCompute.Compute(pass, Shards[0], 0, 1).ToBytes(), replies[0].ResultBytes);
        Assert.Equal(PartitionCompute.Compute(pass, Shards[2], 110, 1).ToBytes(), replies[1].ResultBytes);
        Assert.All(replies, r => Assert.Equal(9, r.PassNumber));

        coordinator.Send(worker, new ReleaseJob("j"));                          // the shards are gone: computing now crashes it
        coordinator.Send(worker, new ComputePass("j", 10, pass, [new ShardSlice(0, 0)]));
        Assert.Equal("w7", coordinator.ExpectMsg<WorkerReady>().WorkerId);
    }

    [Fact]
    public void A_command_for_a_shard_it_does_not_hold_crashes_it_and_the_restart_announces_it_again()
    {
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w0", 1, new InMemoryShardSource(Shards))));
        coordinator.ExpectMsg<WorkerReady>();
        coordinator.Send(worker, new ScoreShards("j", GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2)).Model.ToBytes(), [1]));
        Assert.Equal("w0", coordinator.ExpectMsg<WorkerReady>().WorkerId);   // restarted by its supervisor
        Assert.Equal(worker, coordinator.LastSender);
    }

    [Fact]
    public void A_worker_found_by_IdentifyWorker_answers_and_announces_itself_to_that_coordinator_after_a_restart()
    {
        var link = new CoordinatorLink();
        var worker = Sys.ActorOf(WorkerActor.Props(link, new WorkerOptions("worker-3", 4, new InMemoryShardSource(Shards))));
        var coordinator = CreateTestProbe();
        coordinator.Send(worker, new IdentifyWorker("akka.tcp://distgmm@127.0.0.1:4053"));
        Assert.Equal(new WorkerReady("worker-3", 4), coordinator.ExpectMsg<WorkerReady>());
        Assert.Equal(coordinator.Ref, link.Coordinator);

        coordinator.Send(worker, new ScoreShards("j", GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2)).Model.ToBytes(), [0]));
        Assert.Equal("worker-3", coordinator.ExpectMsg<WorkerReady>().WorkerId);
    }

    [Fact]
    public async Task ChaosKill_stops_the_worker_for_good_unless_the_node_kills_its_process()
    {
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w0", 1, new InMemoryShardSource(Shards))));
        coordinator.ExpectMsg<WorkerReady>();
        Watch(worker);
        coordinator.Send(worker, new ChaosKill("--chaos kill:w0@2"));
        ExpectTerminated(worker);

        var killed = new TaskCompletionSource<string>();
        var node = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref),
            new WorkerOptions("w1", 1, new InMemoryShardSource(Shards), OnChaosKill: reason => killed.SetResult(reason))));
        coordinator.ExpectMsg<WorkerReady>();
        coordinator.Send(node, new ChaosKill("--chaos kill:w1@3"));
        Assert.Equal("--chaos kill:w1@3", await killed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_corrupt_shard_file_is_reported_with_its_name_and_not_retried()
    {
        var dataset = CopyOf(data.KddHead(shards: 3));
        var shardPath = Path.Combine(dataset, "shard-00001.parquet");
        var bytes = File.ReadAllBytes(shardPath);
        File.WriteAllBytes(shardPath, bytes[..(bytes.Length / 2)]);
        var preprocessor = Preprocessor.Fit(data.KddHead(shards: 3), PreprocessingSpec.Preset("seed"));

        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w0", 1)));
        coordinator.ExpectMsg<WorkerReady>();
        coordinator.Send(worker, new LoadShards("j", new DatasetRef(dataset, preprocessor.ToJson(), []), [0, 1, 2]));
        var failed = coordinator.ExpectMsg<ShardLoadFailed>();
        Assert.Equal(1, failed.Shard);
        Assert.Contains("shard-00001.parquet", failed.Error);
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));                // no restart, no second announcement
    }

    [Fact]
    public void A_shard_whose_features_are_not_finite_is_reported_once_not_retried_in_a_restart_loop()
    {
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w0", 1, new NonFiniteShardSource())));
        coordinator.ExpectMsg<WorkerReady>();
        coordinator.Send(worker, new LoadShards("j", Synthetic.Dataset, [0]));
        var failed = coordinator.ExpectMsg<ShardLoadFailed>();
        Assert.Equal(0, failed.Shard);
        Assert.Contains("non-finite value NaN at row 1, column 0", failed.Error);
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));                // no restart, no second announcement
    }

    /// <summary>A shard whose transformed features hold a NaN (what a preprocessing overflow would produce).</summary>
    private sealed class NonFiniteShardSource : IShardSource
    {
        public WorkerShard Load(DatasetRef dataset, int shard) => throw new InvalidOperationException(
            "unreachable: " + new DataMatrix([1, 2, double.NaN, 4], 2, 2).Rows);
    }

    private string CopyOf(string dataset)
    {
        var copy = data.NewOutDir();
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(dataset)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }
}
