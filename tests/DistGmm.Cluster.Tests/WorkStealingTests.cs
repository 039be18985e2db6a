using Akka.Actor;
using Akka.TestKit;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using Xunit;
using static DistGmm.Cluster.Tests.ScriptedWorker;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Work stealing with shard replicas: a worker done with its shards takes a lagging worker's last not-yet-started one,
/// the owner skips it, and the model keeps its bits. The planner alone, the coordinator against probes, a real worker.
/// </summary>
public sealed class WorkStealingTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private static readonly Func<string, int, bool> HoldsAll = (_, _) => true;

    [Fact]
    public void The_idle_worker_takes_the_last_unstarted_shard_of_the_worker_with_most_left()
    {
        var stealing = new ShardStealing();
        var done = new HashSet<int>();
        stealing.Dispatched(4, "a", [0, 1]);
        stealing.Dispatched(4, "b", [2, 3, 4, 5]);
        stealing.Dispatched(4, "c", [6, 7, 8]);

        Assert.Null(stealing.Steal(4, "a", done.Contains, _ => 1, HoldsAll)); // a still has its own
        done.UnionWith([0, 1]);
        Assert.Equal(("b", 5), stealing.Steal(4, "a", done.Contains, _ => 1, HoldsAll));
        Assert.Null(stealing.Steal(4, "a", done.Contains, _ => 1, HoldsAll)); // busy with shard 5
        done.Add(5);
        // b has 2, 3, 4 open (2 presumed started), c has 6, 7, 8: the larger is b's (ties: by name).
        Assert.Equal(("b", 4), stealing.Steal(4, "a", done.Contains, _ => 1, HoldsAll));
        done.Add(4);
        // With 2 cores b is presumed on 2 and 3: nothing to take there; c's last one instead.
        Assert.Equal(("c", 8), stealing.Steal(4, "a", done.Contains, w => w == "b" ? 2 : 1, HoldsAll));
        done.Add(8);
        // Only shards the thief holds.
        Assert.Null(stealing.Steal(4, "a", done.Contains, _ => 1, (_, s) => s == 6));
        Assert.Equal(("c", 7), stealing.Steal(4, "a", done.Contains, _ => 1, (_, s) => s == 7));
        // From an unreachable worker (presumed to have started nothing) the shard it may be computing too.
        Assert.Null(stealing.Steal(4, "a", done.Contains, _ => 1, (_, s) => s == 6));
        done.UnionWith([2, 3, 7]);
        Assert.Null(stealing.Steal(4, "a", done.Contains, _ => 1, HoldsAll));
        Assert.Equal(("c", 6), stealing.Steal(4, "a", done.Contains, w => w == "c" ? 0 : 1, HoldsAll));
        // A stale pass number takes nothing; a new pass starts afresh.
        Assert.Null(stealing.Steal(3, "b", done.Contains, _ => 1, HoldsAll));
        stealing.Dispatched(5, "a", [0]);
        Assert.Null(stealing.Steal(5, "b", _ => false, _ => 1, HoldsAll));
    }

    [Fact]
    public void A_lost_thief_gives_back_the_shards_it_had_not_finished()
    {
        var stealing = new ShardStealing();
        stealing.Dispatched(0, "a", [0]);
        stealing.Dispatched(0, "b", [1, 2, 3]);
        Assert.Equal(("b", 3), stealing.Steal(0, "a", s => s == 0, _ => 1, HoldsAll));
        Assert.Equal([3], stealing.Forget("a", s => s == 0));
        // Back with b: nobody else may take it again while b has it open... but a fresh thief can take it.
        stealing.Dispatched(0, "c", [4]);
        Assert.Equal(("b", 3), stealing.Steal(0, "c", s => s == 4, _ => 1, HoldsAll));
        Assert.Empty(stealing.Forget("c", s => s is 3 or 4)); // finished: nothing to give back
    }

    [Fact]
    public void The_skip_book_decides_once_per_shard_whether_it_runs()
    {
        var book = new SkipBook();
        book.Begin("j", 2);
        Assert.True(book.TryStart("j", 2, 0));
        book.Skip(new SkipShards("j", 2, [0, 1]));       // 0 already started: finished; 1 not: skipped
        Assert.False(book.TryStart("j", 2, 1));
        Assert.True(book.TryStart("j", 2, 1));           // the mark is used up: a re-sent command computes it
        book.Skip(new SkipShards("j", 3, [5]));          // a skip may come before its pass begins here
        book.Begin("j", 3);
        Assert.False(book.TryStart("j", 3, 5));
        book.Skip(new SkipShards("j", 3, [6]));
        book.Forget("j");
        Assert.True(book.TryStart("j", 3, 6));
    }

    private IActorRef Coordinator(TestProbe client, IJobObserver? observer = null) =>
        Sys.ActorOf(CoordinatorActor.Props(Plan(2), BalancedByRowsPlacement.Instance, client.Ref, CreateTestProbe("host").Ref, observer,
            CoordinatorSettings.Default with { ShardReplicas = 1 }));

    /// <summary>Both probes loaded and holding each other's shards (w0: [2], replicas [0, 1]; w1: [0, 1], replica [2]).</summary>
    private (TestProbe W0, TestProbe W1, TestProbe Skip1) LoadedWithReplicas(IActorRef coordinator)
    {
        var w0 = Join(this, coordinator, "w0");
        var w1 = Join(this, coordinator, "w1");
        var skip0 = CreateTestProbe("w0-skips");
        var skip1 = CreateTestProbe("w1-skips");
        foreach (var (worker, id, skip) in new[] { (w0, "w0", skip0), (w1, "w1", skip1) })
        {
            Answer(worker, id, worker.ExpectMsg<LoadShards>());
            var hold = worker.ExpectMsg<HoldReplicas>();
            Assert.Equal(id == "w0" ? [0, 1] : [2], hold.Shards);
            coordinator.Tell(new ReplicasHeld("job-1", id, hold.Shards), skip.Ref); // sent from the worker's skip channel
        }
        return (w0, w1, skip1);
    }

    /// <summary>From now on the probe answers every command itself (every listed shard, as a worker that had started them).</summary>
    private static void AnswerAutomatically(TestProbe worker, string workerId) =>
        worker.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is ComputePass pass)
                foreach (var slice in pass.Shards) sender.Tell(Stats(pass, slice), worker.Ref);
            else if (message is LoadShards load)
                foreach (var s in load.Shards) sender.Tell(new ShardLoaded(load.JobId, workerId, s, Shards[s].Rows, Shards[s].Cols), worker.Ref);
            return AutoPilot.KeepRunning;
        }));

    /// <summary>The first pass up to its first steal: w0 answers its own shard (2) and is sent one of w1's.</summary>
    private (TestProbe W0, TestProbe W1, TestProbe Skip1, ComputePass Pass0, ComputePass Pass1, ComputePass Taken) UpToTheFirstSteal(IActorRef coordinator)
    {
        var (w0, w1, skip1) = LoadedWithReplicas(coordinator);
        var pass0 = w0.ExpectMsg<ComputePass>();
        var pass1 = w1.ExpectMsg<ComputePass>();
        w0.Reply(Stats(pass0, pass0.Shards[0]));
        return (w0, w1, skip1, pass0, pass1, w0.ExpectMsg<ComputePass>());
    }

    [Fact]
    public void A_worker_done_first_takes_the_lagging_workers_unstarted_shard_and_the_model_keeps_its_bits()
    {
        var client = CreateTestProbe();
        var observer = new ProbeObserver(CreateTestProbe());
        var coordinator = Coordinator(client, observer);
        var (w0, w1, skip1, pass0, pass1, taken) = UpToTheFirstSteal(coordinator);
        Assert.Equal([0, 1], pass1.Shards.Select(s => s.Shard));

        // w0 is done; w1 is presumed on shard 0 (1 core), so shard 1 moves to w0 and w1 is told to skip it.
        Assert.Equal(pass1.Shards[1], Assert.Single(taken.Shards));
        Assert.Equal((pass1.PassNumber, pass1.OnDistinctRecords), (taken.PassNumber, taken.OnDistinctRecords));
        var skip = skip1.ExpectMsg<SkipShards>();
        Assert.Equal(("job-1", pass1.PassNumber), (skip.JobId, skip.PassNumber));
        Assert.Equal([1], skip.Shards);

        // The rest of the job with both answering everything (w1 as if it had started every shard: duplicates ignored);
        // on before the pass ends, so that no later command finds a probe without its pilot.
        AnswerAutomatically(w0, "w0");
        AnswerAutomatically(w1, "w1");
        w0.Reply(Stats(taken, taken.Shards[0]));
        w1.Reply(Stats(pass1, pass1.Shards[0]));
        var timed = observer.Await<PassTimed>(t => t.PassNumber == pass0.PassNumber);
        Assert.Equal(1, timed.ShardsTaken);
        Assert.Equal(timed with { Wall = TimeSpan.Zero, SlowestWorker = TimeSpan.Zero, FastestWorker = TimeSpan.Zero },
            PassTimed.Parse(timed.Time, timed.Describe())! with { Wall = TimeSpan.Zero, SlowestWorker = TimeSpan.Zero, FastestWorker = TimeSpan.Zero });

        var done = client.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(60));
        Assert.Equal(Reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void The_shards_of_an_unreachable_worker_are_taken_over_the_running_one_too_and_the_pass_ends_without_it()
    {
        var client = CreateTestProbe();
        var coordinator = Coordinator(client);
        var (w0, w1, skip1, _, pass1, first) = UpToTheFirstSteal(coordinator);
        Assert.Equal([1], first.Shards.Select(s => s.Shard));
        w0.Reply(Stats(first, first.Shards[0]));

        // Shard 0 is presumed running on w1: nothing more to take until the cluster marks w1 unreachable.
        coordinator.Tell(new WorkerSuspected("w1"));
        var second = w0.ExpectMsg<ComputePass>();
        Assert.Equal((pass1.PassNumber, 0), (second.PassNumber, Assert.Single(second.Shards).Shard));
        skip1.ExpectMsg<SkipShards>(); // for shard 1
        Assert.Equal([0], skip1.ExpectMsg<SkipShards>().Shards);
        AnswerAutomatically(w0, "w0");
        AnswerAutomatically(w1, "w1"); // reachable again later: it answers the passes after this one
        w0.Reply(Stats(second, second.Shards[0]));
        var done = client.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(60));
        Assert.Equal(Reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void A_thief_lost_before_answering_leaves_the_shard_to_its_owner()
    {
        var client = CreateTestProbe();
        var coordinator = Coordinator(client);
        var (w0, w1, _, _, pass1, taken) = UpToTheFirstSteal(coordinator);
        Assert.Equal([1], taken.Shards.Select(s => s.Shard));

        Sys.Stop(w0.Ref); // dies holding shard 1 of w1 (and its own 2, already answered)

        // w1 inherits shard 2 and, as its heir, is sent all its missing work again: shards 0 and 1 of the pass.
        var load = w1.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], load.Shards);
        Answer(w1, "w1", load);
        var redo = w1.ExpectMsg<ComputePass>();
        Assert.Equal(pass1.PassNumber, redo.PassNumber);
        Assert.Equal([0, 1], redo.Shards.Select(s => s.Shard));
        AnswerAutomatically(w1, "w1");
        Answer(w1, "w1", redo);
        var done = client.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(60));
        Assert.Equal(Reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void A_real_worker_skips_a_shard_taken_before_it_started_and_holds_replicas()
    {
        var shards = Synthetic.Shards([40, 70, 30]);
        var coordinator = CreateTestProbe();
        using var gate = new ManualResetEventSlim(false);
        // Blocks the worker's thread at its pass, as a long computation would: the skip channel must still take SkipShards.
        var options = new WorkerOptions("w1", 1, new InMemoryShardSource(shards),
            BeforeCommand: (_, message) => { if (message is ComputePass) gate.Wait(TimeSpan.FromSeconds(30)); });
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), options));
        coordinator.ExpectMsg<WorkerReady>();
        coordinator.Send(worker, new LoadShards("j", Synthetic.Dataset, [0, 1]));
        coordinator.ReceiveN(2);
        coordinator.Send(worker, new HoldReplicas("j", Synthetic.Dataset, [2]));
        Assert.Equal(new[] { 2 }, coordinator.ExpectMsg<ReplicasHeld>().Shards);
        var skipChannel = coordinator.LastSender;
        Assert.Equal(worker.Path / "skips", skipChannel.Path);

        var pass = new EStepPass(3, GaussianMixtureFitter.Fit(shards, Synthetic.Options(2)).Model);
        ShardSlice[] slices = [new(0, 0), new(1, 40), new(2, 110)];
        coordinator.Send(worker, new ComputePass("j", 3, pass, slices));
        coordinator.Send(skipChannel, new SkipShards("j", 3, [1]));
        skipChannel.Tell(new Identify(1), coordinator.Ref); // answered after the SkipShards before it
        coordinator.ExpectMsg<ActorIdentity>();
        gate.Set();

        var replies = coordinator.ReceiveN(2).Cast<ShardStatsComputed>().ToList();
        Assert.Equal([0, 2], replies.Select(r => r.Shard));                   // the replica (2) computed, 1 skipped
        Assert.Equal(PartitionCompute.Compute(pass, shards[2], 110, 1).ToBytes(), replies[1].ResultBytes);
        coordinator.Send(worker, new ComputePass("j", 3, pass, [slices[1]])); // given back: the mark is used up
        var again = coordinator.ExpectMsg<ShardStatsComputed>();
        Assert.Equal(1, again.Shard);
        Assert.Equal(PartitionCompute.Compute(pass, shards[1], 40, 1).ToBytes(), again.ResultBytes);
    }

    /// <summary>Shard 1's file is bad; the others load.</summary>
    private sealed class OneBadShard(IReadOnlyList<DataMatrix> shards) : IShardSource
    {
        private readonly InMemoryShardSource _good = new(shards);

        public WorkerShard Load(DatasetRef dataset, int shard) =>
            shard == 1 ? throw new DataFormatException("shard-00001.parquet", 0, 0, "bad magic") : _good.Load(dataset, shard);
    }

    [Fact]
    public void A_replica_that_cannot_be_loaded_is_left_out_never_fatal_and_a_shard_that_cannot_be_loaded_still_is()
    {
        var shards = Synthetic.Shards([40, 70, 30]);
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), new WorkerOptions("w0", 2, new OneBadShard(shards))));
        coordinator.ExpectMsg<WorkerReady>();

        coordinator.Send(worker, new HoldReplicas("j", Synthetic.Dataset, [1, 2]));
        Assert.Equal([2], coordinator.ExpectMsg<ReplicasHeld>().Shards);   // its owner reports shard 1's data error

        coordinator.Send(worker, new LoadShards("j", Synthetic.Dataset, [0, 1]));
        var failed = coordinator.ExpectMsg<ShardLoadFailed>();
        Assert.Equal((1, "w0"), (failed.Shard, failed.WorkerId));
        Assert.Contains("bad magic", failed.Error, StringComparison.Ordinal);
    }
}
