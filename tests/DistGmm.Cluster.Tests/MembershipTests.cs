using Akka.Actor;
using Akka.TestKit;
using DistGmm.Cluster;
using Xunit;
using static DistGmm.Cluster.Tests.ScriptedWorker;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Membership and recovery in the coordinator: probes play the workers and the host (which reports Akka cluster
/// membership as WorkerSuspected / WorkerReachable / WorkerDown), virtual time drives the waits. Journal resume on the
/// test system's in-memory journal, mid-job joins, waiting with no worker, downed workers, chaos.
/// </summary>
public sealed class MembershipTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.VirtualTime)
{
    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private IActorRef Coordinator(int workers, TestProbe client, IJobObserver? observer = null, CoordinatorSettings? settings = null,
        TestProbe? host = null, string? name = null) =>
        Sys.ActorOf(CoordinatorActor.Props(Plan(workers), BalancedByRowsPlacement.Instance, client.Ref, (host ?? CreateTestProbe("host")).Ref,
            observer, settings), name);

    private ProbeObserver NewObserver() => new(CreateTestProbe("events"));

    [Fact]
    public void A_second_coordinator_with_the_same_persistence_id_resumes_after_the_last_completed_pass_with_the_same_model()
    {
        var client = CreateTestProbe();
        var host = CreateTestProbe("host");
        var first = Coordinator(1, client, host: host, name: "first");
        Assert.Equal("job-1", host.ExpectMsg<CoordinatorRecovered>().JobId);
        var worker = Join(this, first, "w0");
        var stuck = PlayUntilPass(worker, "w0", 4);   // passes 0..3 completed and journaled
        Watch(first);
        Sys.Stop(first);                               // the coordinator dies during pass 4
        ExpectTerminated(first);

        var events = NewObserver();
        var second = Coordinator(1, client, events, host: host, name: "second");
        var resume = events.Await<JobResumed>();
        Assert.Equal(3 + 4, resume.JournalEvents);     // three loads, four passes
        Assert.Equal("training", resume.Stage);
        host.ExpectMsg<CoordinatorRecovered>();        // the host introduces the workers it knows
        worker.Send(second, new WorkerReady("w0", 1));
        Assert.Equal([0, 1, 2], worker.ExpectMsg<LoadShards>().Shards);
        var resumed = worker.ExpectMsg<ComputePass>();
        Assert.Equal(stuck.PassNumber, resumed.PassNumber); // nothing completed is redone
        Assert.Equal(stuck.Pass.ToBytes(), resumed.Pass.ToBytes());
        Answer(worker, "w0", resumed);
        PlayUntilReleased(worker, "w0");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Watch(second);
        Sys.Stop(second);
        ExpectTerminated(second);

        // A third coordinator over the completed journal finishes at once: the job is not redone, no worker is asked.
        var third = Coordinator(1, client, host: host, name: "third");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        worker.Send(third, new WorkerReady("w0", 1));
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        host.ExpectNoMsg(TimeSpan.Zero);               // not told to introduce workers to a finished job
    }

    [Fact]
    public void A_worker_the_plan_counted_but_removed_while_the_coordinator_recovered_is_not_waited_for()
    {
        // The plan expects 2 (both were members when the job started); one was removed before the host introduced it.
        var client = CreateTestProbe();
        var host = CreateTestProbe("host");
        var coordinator = Coordinator(2, client, host: host);
        host.ExpectMsg<CoordinatorRecovered>();
        var w0 = CreateTestProbe("w0");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        w0.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // the plan's second worker is still waited for
        host.Send(coordinator, new CountedWorkerRemoved("w1"));
        var load = w0.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], load.Shards);
        Answer(w0, "w0", load);
        PlayUntilReleased(w0, "w0");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public async Task A_worker_joining_mid_job_gets_shards_only_at_the_next_iteration_boundary()
    {
        var client = CreateTestProbe();
        var events = NewObserver();
        var coordinator = Coordinator(1, client, events);
        var w0 = CreateTestProbe("w0");
        var w1 = CreateTestProbe("w1");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        var pass2 = PlayUntilPass(w0, "w0", 2);
        w1.Send(coordinator, new WorkerReady("w1", 1));
        Assert.True(events.Await<WorkerJoinedJob>(e => e.WorkerId == "w1").MidJob);
        w1.ExpectNoMsg(TimeSpan.Zero);                  // never under a running pass
        Answer(w0, "w0", pass2);

        var load = w1.ExpectMsg<LoadShards>();
        var compute = w1.ExpectMsg<ComputePass>();
        Assert.Equal(3, compute.PassNumber);
        Assert.Equal(load.Shards, compute.Shards.Select(s => s.Shard));
        Assert.Equal([2], load.Shards);                 // 360 rows on w0: moving the 150-row shard evens it best (210/150)
        var w0Pass = w0.ExpectMsg<ComputePass>();
        Assert.Equal([0, 1], w0Pass.Shards.Select(s => s.Shard));
        Answer(w1, "w1", load);
        Answer(w1, "w1", compute);
        Answer(w0, "w0", w0Pass);
        var t1 = Task.Run(() => PlayUntilReleased(w1, "w1"));
        PlayUntilReleased(w0, "w0");
        await t1;
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Assert.Contains(events.Events.OfType<ShardsAssigned>(), e => e.Reason.StartsWith("rebalance", StringComparison.Ordinal));
    }

    [Fact]
    public void With_every_worker_lost_the_job_waits_and_a_newcomer_takes_all_shards()
    {
        var client = CreateTestProbe();
        var events = NewObserver();
        var settings = CoordinatorSettings.Default with { MaxWaitForWorkers = TimeSpan.FromMinutes(5) };
        var coordinator = Coordinator(1, client, events, settings);
        var w0 = Join(this, coordinator, "w0");
        PlayUntilPass(w0, "w0", 1);
        Sys.Stop(w0.Ref);
        Assert.Equal(TimeSpan.FromMinutes(5), events.Await<WaitingForWorkers>().MaxWait);
        Clock.Advance(TimeSpan.FromMinutes(4));         // still inside the wait
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        var w1 = Join(this, coordinator, "w1");
        var load = w1.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], load.Shards);
        Answer(w1, "w1", load);
        var pass = w1.ExpectMsg<ComputePass>();
        Assert.Equal(1, pass.PassNumber);               // the pass w0 never finished
        Clock.Advance(TimeSpan.FromMinutes(2));         // past the original wait: the join cancelled it
        Answer(w1, "w1", pass);
        PlayUntilReleased(w1, "w1");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Assert.Contains(events.Events.OfType<ShardsRecovered>(), e => e.Shards.SequenceEqual([0, 1, 2]));
    }

    [Fact]
    public void With_every_worker_lost_past_the_wait_the_job_fails_with_a_clear_message()
    {
        var client = CreateTestProbe();
        var events = NewObserver();
        var settings = CoordinatorSettings.Default with { MaxWaitForWorkers = TimeSpan.FromSeconds(30) };
        var coordinator = Coordinator(1, client, events, settings);
        var w0 = Join(this, coordinator, "w0");
        PlayUntilPass(w0, "w0", 1);
        coordinator.Tell(new WorkerDown("w0", "node removed from the cluster"));
        events.Await<WaitingForWorkers>();
        Clock.Advance(TimeSpan.FromSeconds(29));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Clock.Advance(TimeSpan.FromSeconds(2));
        var aborted = client.ExpectMsg<JobAborted>();
        Assert.Contains("no worker left", aborted.Error, StringComparison.Ordinal);
        Assert.Contains("30 s", aborted.Error, StringComparison.Ordinal);
        Assert.False(events.Await<JobFinished>().Succeeded);
    }

    [Fact]
    public void A_downed_worker_loses_its_shards_to_the_survivor_and_reports_how_long_it_was_unreachable()
    {
        var client = CreateTestProbe();
        var events = NewObserver();
        var coordinator = Coordinator(2, client, events);
        var w0 = Join(this, coordinator, "w0");
        var w1 = Join(this, coordinator, "w1");
        Answer(w0, "w0", w0.ExpectMsg<LoadShards>());
        Answer(w1, "w1", w1.ExpectMsg<LoadShards>());
        Answer(w0, "w0", w0.ExpectMsg<ComputePass>());
        w1.ExpectMsg<ComputePass>();                    // w1's node goes silent from here on

        coordinator.Tell(new WorkerSuspected("w1"));
        var unreachable = events.Await<WorkerUnreachable>();
        Assert.Equal("w1", unreachable.WorkerId);
        w0.ExpectNoMsg(TimeSpan.Zero);                  // unreachable is not down: nothing moves yet
        Clock.Advance(TimeSpan.FromSeconds(3));
        coordinator.Tell(new WorkerNodeDowned("w1"));   // the split-brain resolver's verdict; removal follows
        Assert.Equal(unreachable.Time + TimeSpan.FromSeconds(3), events.Await<WorkerDowned>(e => e.WorkerId == "w1").Time);
        w0.ExpectNoMsg(TimeSpan.Zero);                  // still nothing moves before the removal
        Clock.Advance(TimeSpan.FromSeconds(3.5));
        coordinator.Tell(new WorkerDown("w1", "node removed from the cluster (previous status Down)"));

        var inherited = w0.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], inherited.Shards);
        Answer(w0, "w0", inherited);
        PlayUntilReleased(w0, "w0");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        var failed = Assert.Single(events.Events.OfType<WorkerFailed>());
        Assert.Equal(("w1", "node removed from the cluster (previous status Down)"), (failed.WorkerId, failed.Reason));
        Assert.Equal(TimeSpan.FromSeconds(6.5), failed.SilentFor);
        Assert.Contains(events.Events.OfType<ShardsAssigned>(), e => e.Reason == "w1 lost");
    }

    [Fact]
    public void A_worker_reachable_again_is_reported_recovered_and_keeps_its_shards()
    {
        var client = CreateTestProbe();
        var events = NewObserver();
        var coordinator = Coordinator(1, client, events);
        var w0 = Join(this, coordinator, "w0");
        var pass = PlayUntilPass(w0, "w0", 1);
        coordinator.Tell(new WorkerSuspected("w0"));
        coordinator.Tell(new WorkerSuspected("w0"));    // reported once
        coordinator.Tell(new WorkerReachable("w0"));
        Assert.Equal("w0", events.Await<WorkerRecovered>().WorkerId);
        Answer(w0, "w0", pass);
        PlayUntilReleased(w0, "w0");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Assert.Single(events.Events.OfType<WorkerUnreachable>());
        Assert.Empty(events.Events.OfType<WorkerFailed>());
    }

    [Fact]
    public async Task Chaos_kill_tells_the_chosen_worker_to_die_after_the_iteration_and_its_shards_move()
    {
        var client = CreateTestProbe();
        var events = NewObserver();
        var settings = CoordinatorSettings.Default with { Chaos = ChaosPlan.Parse(["kill:w1@2"]) };
        var coordinator = Coordinator(2, client, events, settings);
        var w0 = Join(this, coordinator, "w0");
        var w1 = Join(this, coordinator, "w1");
        var w0Life = Task.Run(() => PlayUntilReleased(w0, "w0"));
        ChaosKill kill;
        while (true)
        {
            var m = w1.ExpectMsg<object>();
            if (m is ChaosKill k) { kill = k; break; }   // dies: answers nothing more
            Answer(w1, "w1", m);
        }
        Assert.Contains("kill:w1@2", kill.Reason, StringComparison.Ordinal);
        Sys.Stop(w1.Ref);                               // what a WorkerActor does on ChaosKill
        await w0Life;
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        var injected = Assert.Single(events.Events.OfType<ChaosInjected>());
        Assert.Equal(("w1", "kill after iteration 2"), (injected.Target, injected.Action));
        Assert.Equal("w1", Assert.Single(events.Events.OfType<WorkerFailed>()).WorkerId);
    }

    [Fact]
    public async Task Chaos_down_asks_the_host_to_down_the_worker_node_after_the_iteration()
    {
        var client = CreateTestProbe();
        var host = CreateTestProbe("host");
        var events = NewObserver();
        var settings = CoordinatorSettings.Default with { Chaos = ChaosPlan.Parse(["down:w0@1"]) };
        var coordinator = Coordinator(1, client, events, settings, host);
        host.ExpectMsg<CoordinatorRecovered>();
        var w0 = Join(this, coordinator, "w0");
        var w0Life = Task.Run(() => PlayUntilReleased(w0, "w0")); // this host downs nothing: the job goes on
        var down = host.ExpectMsg<DownWorkerNode>();
        Assert.Equal(("w0", w0.Ref), (down.WorkerId, down.Worker));
        await w0Life;
        client.ExpectMsg<JobCompleted>();
        var injected = Assert.Single(events.Events.OfType<ChaosInjected>());
        Assert.Equal(("w0", "down the node after iteration 1"), (injected.Target, injected.Action));
    }
}
