using Akka.Actor;
using Akka.TestKit;
using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;
using static DistGmm.Cluster.Tests.ScriptedWorker;

namespace DistGmm.Cluster.Tests;

/// <summary>The coordinator actor against TestProbes playing workers (every message through the binary serializer).</summary>
public sealed class CoordinatorActorTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private IActorRef Coordinator(int workers, TestProbe client, string? name = null) =>
        Sys.ActorOf(CoordinatorActor.Props(Plan(workers), BalancedByRowsPlacement.Instance, client.Ref, CreateTestProbe("host").Ref), name);

    private CoordinatorActor.Status StatusOf(IActorRef coordinator)
    {
        coordinator.Tell(new CoordinatorActor.GetStatus(), TestActor);
        return ExpectMsg<CoordinatorActor.Status>();
    }

    [Fact]
    public void Duplicate_and_late_ShardStatsComputed_are_ignored_and_the_model_is_unchanged()
    {
        var client = CreateTestProbe();
        var coordinator = Coordinator(1, client, "coordinator");
        var worker = Join(this, coordinator, "w0");
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
        PlayUntilReleased(worker, "w0");
        var done = client.ExpectMsg<JobCompleted>();
        Assert.Equal(Reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void Shards_are_placed_by_rows_per_core_and_the_model_keeps_its_bits()
    {
        var client = CreateTestProbe();
        var observer = new ProbeObserver(CreateTestProbe());
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(2), BalancedByRowsPlacement.Instance, client.Ref, CreateTestProbe("host").Ref, observer));
        var w0 = CreateTestProbe("w0");
        var w1 = CreateTestProbe("w1");
        w0.Send(coordinator, new WorkerReady("w0", 3));
        w1.Send(coordinator, new WorkerReady("w1", 1));

        // The log says each worker's cores. Shards of 120, 90 and 150 rows: 150 and 120 to w0 (90 rows a core), 90 to w1;
        // with equal cores w0 got the 150 alone.
        Assert.EndsWith("joined with 3 cores", observer.Await<WorkerJoinedJob>(j => j.WorkerId == "w0").Describe());
        Assert.EndsWith("joined with 1 core", observer.Await<WorkerJoinedJob>(j => j.WorkerId == "w1").Describe());
        var placed = observer.Await<ShardsAssigned>();
        Assert.Equal(new Dictionary<string, IReadOnlyList<int>> { ["w0"] = [0, 2], ["w1"] = [1] }, placed.ByWorker);
        Assert.Equal([0, 2], w0.ExpectMsg<LoadShards>().Shards);
        Assert.Equal([1], w1.ExpectMsg<LoadShards>().Shards);
        foreach (var (worker, id) in new[] { (w0, "w0"), (w1, "w1") })
            worker.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
            {
                if (message is ComputePass pass)
                    foreach (var slice in pass.Shards) sender.Tell(Stats(pass, slice), worker.Ref);
                return AutoPilot.KeepRunning;
            }));
        foreach (var s in new[] { 0, 2 }) coordinator.Tell(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, Shards[s].Cols), w0.Ref);
        coordinator.Tell(new ShardLoaded("job-1", "w1", 1, Shards[1].Rows, Shards[1].Cols), w1.Ref);
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(60)).State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void Each_pass_is_timed_from_its_workers_seconds()
    {
        var client = CreateTestProbe();
        var observer = new ProbeObserver(CreateTestProbe());
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(2), BalancedByRowsPlacement.Instance, client.Ref, CreateTestProbe("host").Ref, observer));
        var w0 = Join(this, coordinator, "w0");
        var w1 = Join(this, coordinator, "w1");
        foreach (var (worker, id) in new[] { (w0, "w0"), (w1, "w1") }) Answer(worker, id, worker.ExpectMsg<LoadShards>());

        // w1 holds shards 0 and 1: its seconds are its last result's (the larger), whatever the order they arrive in.
        var pass0 = w0.ExpectMsg<ComputePass>();
        var pass1 = w1.ExpectMsg<ComputePass>();
        w1.Reply(Stats(pass1, pass1.Shards[1]) with { WorkerSeconds = 0.030 });
        w1.Reply(Stats(pass1, pass1.Shards[0]) with { WorkerSeconds = 0.020 });
        w0.Reply(Stats(pass0, pass0.Shards[0]) with { WorkerSeconds = 0.010 });
        var timed = observer.Await<PassTimed>();
        Assert.Equal(pass0.PassNumber, timed.PassNumber);
        Assert.Equal(2, timed.Workers);
        Assert.Equal(TimeSpan.FromSeconds(0.030), timed.SlowestWorker);
        Assert.Equal(TimeSpan.FromSeconds(0.010), timed.FastestWorker);
        Assert.True(timed.Wall >= TimeSpan.Zero);
        Assert.Equal((0, 0), (timed.BytesSent, timed.BytesReceived)); // in-process workers: nothing crossed a network
        // events.log keeps it readable (what `bench` reads from a coordinator process), to 0.1 ms.
        var read = PassTimed.Parse(timed.Time, timed.Describe());
        Assert.Equal(timed with { Wall = read!.Wall }, read);
        Assert.Equal(timed.Wall.TotalMilliseconds, read.Wall.TotalMilliseconds, 0.05);
        var remote = timed with { Wall = read.Wall, BytesSent = 50_912, BytesReceived = 202_880 };
        Assert.Equal(remote, PassTimed.Parse(timed.Time, remote.Describe()));
        // A line from before the payload was logged still reads, with no bytes.
        Assert.Equal(new PassTimed(timed.Time, 3, TimeSpan.FromMilliseconds(50.1), TimeSpan.FromMilliseconds(48.8), TimeSpan.FromMilliseconds(47), 2),
            PassTimed.Parse(timed.Time, "pass 3 timed: 50.1 ms from commands to last result; 2 worker(s) busy 47.0–48.8 ms"));
        Assert.Null(PassTimed.Parse(timed.Time, "K=2 iteration 3: lower bound 1.5, 12 ms"));
        Assert.Null(IterationCompleted.Parse(timed.Time, timed.Describe()));
        // The next pass goes out as usual.
        Assert.Equal(pass0.PassNumber + 1, w0.ExpectMsg<ComputePass>().PassNumber);
    }

    [Fact]
    public void A_worker_that_stops_has_its_shards_recomputed_by_the_survivor()
    {
        var client = CreateTestProbe();
        var coordinator = Coordinator(2, client);
        var w0 = Join(this, coordinator, "w0");
        var w1 = Join(this, coordinator, "w1");
        var load0 = w0.ExpectMsg<LoadShards>();
        var load1 = w1.ExpectMsg<LoadShards>();
        Assert.Equal([2], load0.Shards);      // 150 rows: the largest goes first, to w0
        Assert.Equal([0, 1], load1.Shards);   // 120 + 90
        foreach (var s in load0.Shards) w0.Reply(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, 2));
        foreach (var s in load1.Shards) w1.Reply(new ShardLoaded("job-1", "w1", s, Shards[s].Rows, 2));
        var pass0 = w0.ExpectMsg<ComputePass>();
        w1.ExpectMsg<ComputePass>();
        foreach (var slice in pass0.Shards) w0.Reply(Stats(pass0, slice));

        Sys.Stop(w1.Ref);                      // w1 dies before answering: the coordinator watches it

        var inherited = w0.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], inherited.Shards);
        foreach (var s in inherited.Shards) w0.Reply(new ShardLoaded("job-1", "w0", s, Shards[s].Rows, 2));
        var redo = w0.ExpectMsg<ComputePass>();
        Assert.Equal(pass0.PassNumber, redo.PassNumber);
        Assert.Equal([0, 1], redo.Shards.Select(s => s.Shard));
        foreach (var slice in redo.Shards) w0.Reply(Stats(redo, slice));
        PlayUntilReleased(w0, "w0");
        var done = client.ExpectMsg<JobCompleted>();
        Assert.Equal(Reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void A_restarted_worker_announcing_itself_again_gets_its_shards_reloaded_and_missing_work_resent()
    {
        var client = CreateTestProbe();
        var coordinator = Coordinator(1, client);
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
        var coordinator = Coordinator(1, client);
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
    public void A_worker_error_reply_fails_the_job_and_releases_every_worker()
    {
        var client = CreateTestProbe();
        var coordinator = Coordinator(2, client);
        var w0 = Join(this, coordinator, "w0");
        var w1 = Join(this, coordinator, "w1");
        Answer(w0, "w0", w0.ExpectMsg<LoadShards>());
        w1.ExpectMsg<LoadShards>();
        w1.Reply(new WorkFailed("job-1", "w1", "scores lost"));
        Assert.Equal("worker w1: scores lost", client.ExpectMsg<JobAborted>().Error);
        w1.ExpectMsg<ReleaseJob>();
        w0.FishForMessage<ReleaseJob>(_ => true);
    }

    [Fact]
    public void The_host_is_told_once_recovery_has_completed()
    {
        var host = CreateTestProbe("host");
        Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, CreateTestProbe().Ref, host.Ref));
        Assert.Equal("job-1", host.ExpectMsg<CoordinatorRecovered>().JobId);
    }
}
