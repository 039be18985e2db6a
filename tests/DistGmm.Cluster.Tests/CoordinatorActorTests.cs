using DistGmm.Actors;
using DistGmm.Cluster;
using DistGmm.Numerics;
using DistGmm.TestKit;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>The coordinator actor against TestProbes playing workers.</summary>
public sealed class CoordinatorActorTests : TestKitBase
{
    private static readonly DataMatrix[] Shards = ScriptedWorker.Shards;

    private static JobPlan Plan(int workers) => ScriptedWorker.Plan(workers);

    private static ShardStatsComputed Stats(ComputePass command, ShardSlice slice) => ScriptedWorker.Stats(command, slice);

    private static void PlayWorker(TestProbe worker, string workerId) => ScriptedWorker.PlayUntilReleased(worker, workerId);

    private CoordinatorActor.Status StatusOf(IActorRef coordinator)
    {
        TestActor.Send(coordinator, new CoordinatorActor.GetStatus());
        return ExpectMsg<CoordinatorActor.Status>();
    }

    [Fact]
    public void Duplicate_and_late_ShardStatsComputed_are_ignored_and_the_model_is_unchanged()
    {
        var client = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref), "coordinator");
        var worker = CreateTestProbe("w0");
        worker.Send(coordinator, new WorkerReady("w0", 1));
        var load = worker.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], load.Shards);
        foreach (var s in load.Shards) worker.Reply(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, 2));

        var first = worker.ExpectMsg<ComputePass>();
        Assert.Equal([0L, 120L, 210L], first.Shards.Select(s => s.GlobalRowOffset));
        worker.Reply(Stats(first, first.Shards[0]));
        worker.Reply(Stats(first, first.Shards[0]));                          // duplicate
        worker.Reply(Stats(first, first.Shards[1]) with { JobId = "job-0" }); // another job's
        worker.Reply(Stats(first, first.Shards[1]));
        worker.Reply(Stats(first, first.Shards[2]));
        var second = worker.ExpectMsg<ComputePass>();
        Assert.Equal(first.PassNumber + 1, second.PassNumber);
        worker.Reply(Stats(first, first.Shards[2]));                          // late: an old pass
        Assert.Equal(3, StatusOf(coordinator).IgnoredMessages);

        foreach (var slice in second.Shards) worker.Reply(Stats(second, slice));
        PlayWorker(worker, "w0");
        var done = client.ExpectMsg<JobCompleted>();
        var expected = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2), 1);
        Assert.Equal(expected.Model.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void A_worker_that_stops_has_its_shards_recomputed_by_the_survivor()
    {
        var client = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(2), BalancedByRowsPlacement.Instance, client.Ref));
        var w0 = CreateTestProbe("w0");
        var w1 = CreateTestProbe("w1");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        w1.Send(coordinator, new WorkerReady("w1", 1));
        var load0 = w0.ExpectMsg<LoadShards>();
        var load1 = w1.ExpectMsg<LoadShards>();
        Assert.Equal([2], load0.Shards);      // 150 rows: the largest goes first, to w0
        Assert.Equal([0, 1], load1.Shards);   // 120 + 90
        foreach (var s in load0.Shards) w0.Reply(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, 2));
        foreach (var s in load1.Shards) w1.Reply(new ShardLoaded("job-1", "w1", s, Shards[s].Rows, 2));
        var pass0 = w0.ExpectMsg<ComputePass>();
        w1.ExpectMsg<ComputePass>();
        foreach (var slice in pass0.Shards) w0.Reply(Stats(pass0, slice));

        Sys.Stop(w1.Ref);                      // w1 dies before answering

        var inherited = w0.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], inherited.Shards);
        foreach (var s in inherited.Shards) w0.Reply(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, 2));
        var redo = w0.ExpectMsg<ComputePass>();
        Assert.Equal(pass0.PassNumber, redo.PassNumber);
        Assert.Equal([0, 1], redo.Shards.Select(s => s.Shard));
        foreach (var slice in redo.Shards) w0.Reply(Stats(redo, slice));
        PlayWorker(w0, "w0");
        var done = client.ExpectMsg<JobCompleted>();
        Assert.Equal(GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2), 1).Model.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void A_restarted_worker_announcing_itself_again_gets_its_shards_reloaded_and_missing_work_resent()
    {
        var client = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref));
        var worker = CreateTestProbe();
        worker.Send(coordinator, new WorkerReady("w0", 1));
        var load = worker.ExpectMsg<LoadShards>();
        foreach (var s in load.Shards) worker.Reply(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, 2));
        var pass = worker.ExpectMsg<ComputePass>();
        worker.Reply(Stats(pass, pass.Shards[1]));

        worker.Send(coordinator, new WorkerReady("w0", 1));    // what a restarted WorkerActor sends from PreStart

        Assert.Equal([0, 1, 2], worker.ExpectMsg<LoadShards>().Shards);
        var resent = worker.ExpectMsg<ComputePass>();
        Assert.Equal(pass.PassNumber, resent.PassNumber);
        Assert.Equal([0, 2], resent.Shards.Select(s => s.Shard));
    }

    [Fact]
    public void A_shard_that_cannot_be_loaded_fails_the_job_with_the_reason()
    {
        var client = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref));
        var worker = CreateTestProbe();
        worker.Send(coordinator, new WorkerReady("w0", 1));
        worker.ExpectMsg<LoadShards>();
        worker.Reply(new ShardLoadFailed("job-1", "w0", 1, "shard-00001.parquet: bad magic at offset 0"));
        var aborted = client.ExpectMsg<JobAborted>();
        Assert.Contains("could not load shard 1", aborted.Error);
        Assert.Contains("bad magic at offset 0", aborted.Error);
        worker.ExpectMsg<ReleaseJob>();
    }

    [Fact]
    public async Task An_Ask_to_a_coordinator_that_does_not_answer_times_out_with_a_clear_error()
    {
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, CreateTestProbe().Ref), "coordinator");
        Watch(coordinator);
        Sys.Stop(coordinator);
        ExpectTerminated(coordinator);
        var ask = Sys.Ask<CoordinatorActor.Status>(coordinator, new CoordinatorActor.GetStatus(), TimeSpan.FromSeconds(5));
        Clock.Advance(TimeSpan.FromSeconds(5));
        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() => ask);
        Assert.Contains("distgmm://test/user/coordinator", ex.Message);
        Assert.Contains("GetStatus", ex.Message);
    }
}
