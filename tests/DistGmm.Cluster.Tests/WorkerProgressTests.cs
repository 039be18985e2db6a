using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>A worker says which shards and passes it computes (printed by `distgmm worker`).</summary>
public sealed class WorkerProgressTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private static readonly DataMatrix[] Shards = Synthetic.Shards([40, 70, 30]);

    [Fact]
    public void Each_command_is_published_as_one_line_naming_the_job_pass_and_shards()
    {
        var lines = CreateTestProbe();
        Sys.EventStream.Subscribe(lines.Ref, typeof(WorkerProgress));
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w3", 1, new InMemoryShardSource(Shards))));
        coordinator.ExpectMsg<WorkerReady>();
        var model = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2)).Model;

        coordinator.Send(worker, new LoadShards("job-1", Synthetic.Dataset, [0, 2]));
        coordinator.Send(worker, new ComputePass("job-1", 4, new EStepPass(4, model), [new ShardSlice(0, 0), new ShardSlice(2, 110)]));
        coordinator.Send(worker, new ScoreShards("job-1", model.ToBytes(), [2]));
        coordinator.Send(worker, new ReleaseJob("job-1"));

        Assert.Equal(
        [
            "worker 'w3': job job-1: loading shards 0, 2",
            "worker 'w3': job job-1: pass 4 (e-step) on shards 0, 2",
            "worker 'w3': job job-1: scoring shard 2",
            "worker 'w3': job job-1: released",
        ], lines.ReceiveN(4).Select(m => m.ToString()));
    }

    [Fact]
    public void Pass_kinds_are_named_in_words()
    {
        var pass = new ComputePass("j", 1, new HardAssignmentPass(1, CovarianceType.Full, [[0.0]]), [new ShardSlice(5, 0)]);
        Assert.Equal("worker 'w': job j: pass 1 (hard-assignment) on shard 5", WorkerProgress.Describe("w", pass)!.ToString());
        Assert.Null(WorkerProgress.Describe("w", new WorkerReady("w", 1)));
    }
}
