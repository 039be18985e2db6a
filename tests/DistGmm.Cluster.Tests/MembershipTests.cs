using System.Collections.Concurrent;
using DistGmm.Actors;
using DistGmm.Cluster;
using DistGmm.Cluster.Remote;
using DistGmm.Numerics;
using DistGmm.Remoting.Configuration;
using DistGmm.TestKit;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Membership and recovery in the coordinator, TestKit style (probes play workers, the manual clock drives heartbeats
/// and waits): journal resume, mid-job joins, waiting with no worker, failure-detector verdicts, chaos.
/// </summary>
public sealed class MembershipTests : TestKitBase
{
    private static readonly DataMatrix[] Shards = ScriptedWorker.Shards;
    private static readonly GaussianMixture Reference = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2), 1).Model;

    private static JobPlan Plan(int workers) => ScriptedWorker.Plan(workers);

    private sealed class Recorder : IJobObserver
    {
        public ConcurrentQueue<JobEvent> Events { get; } = new();
        public void OnEvent(JobEvent e) => Events.Enqueue(e);
    }

    private static ShardStatsComputed Stats(ComputePass command, ShardSlice slice) => ScriptedWorker.Stats(command, slice);

    private static object Answer(TestProbe worker, string workerId, object command) => ScriptedWorker.Answer(worker, workerId, command);

    private static void PlayUntilReleased(TestProbe worker, string workerId) => ScriptedWorker.PlayUntilReleased(worker, workerId);

    private static ComputePass PlayUntilPass(TestProbe worker, string workerId, int passNumber) =>
        ScriptedWorker.PlayUntilPass(worker, workerId, passNumber);

    [Fact]
    public void A_restarted_coordinator_replays_its_journal_and_resumes_at_the_next_pass_with_the_same_model()
    {
        var journal = new InMemoryCoordinatorJournal();
        var client = CreateTestProbe();
        var first = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref, journal), "first");
        var worker = CreateTestProbe("w0");
        worker.Send(first, new WorkerReady("w0", 1));
        var stuck = PlayUntilPass(worker, "w0", 4);   // passes 0..3 completed and journaled
        Sys.Stop(first);                               // the coordinator dies during pass 4
        var journaled = journal.Read("job-1");
        Assert.Equal(3 + 4, journaled.Count);          // three loads, four passes
        Assert.Equal([0, 1, 2, 3], journaled.OfType<PassCompleted>().Select(p => p.PassNumber));

        var recorder = new Recorder();
        var second = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref, journal, recorder), "second");
        worker.Send(second, new WorkerReady("w0", 1));
        var reload = worker.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], reload.Shards);
        var resumed = worker.ExpectMsg<ComputePass>();
        Assert.Equal(stuck.PassNumber, resumed.PassNumber); // nothing completed is redone
        Assert.Equal(stuck.Pass.ToBytes(), resumed.Pass.ToBytes());
        Answer(worker, "w0", resumed);
        PlayUntilReleased(worker, "w0");
        var done = client.ExpectMsg<JobCompleted>();
        Assert.Equal(Reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
        var resume = Assert.Single(recorder.Events.OfType<JobResumed>());
        Assert.Equal(7, resume.JournalEvents);
        Assert.Equal("training", resume.Stage);

        // A third coordinator over the completed journal finishes at once: the job is not redone.
        var third = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref, journal), "third");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        worker.Send(third, new WorkerReady("w0", 1));
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_worker_joining_mid_job_gets_shards_only_at_the_next_iteration_boundary()
    {
        var client = CreateTestProbe();
        var recorder = new Recorder();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref, observer: recorder));
        var w0 = CreateTestProbe("w0");
        var w1 = CreateTestProbe("w1");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        var pass2 = PlayUntilPass(w0, "w0", 2);
        w1.Send(coordinator, new WorkerReady("w1", 1));
        w1.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // never under a running pass
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
        Assert.Contains(recorder.Events.OfType<WorkerJoinedJob>(), e => e.WorkerId == "w1" && e.MidJob);
        Assert.Contains(recorder.Events.OfType<ShardsAssigned>(), e => e.Reason.StartsWith("rebalance", StringComparison.Ordinal));
    }

    [Fact]
    public void With_every_worker_lost_the_job_waits_and_a_newcomer_takes_all_shards()
    {
        var client = CreateTestProbe();
        var recorder = new Recorder();
        var settings = CoordinatorSettings.Default with { MaxWaitForWorkers = TimeSpan.FromMinutes(5) };
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref, null, recorder, settings));
        var w0 = CreateTestProbe("w0");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        PlayUntilPass(w0, "w0", 1);
        Sys.Stop(w0.Ref);
        FishForEvent<WaitingForWorkers>(recorder);
        Clock.Advance(TimeSpan.FromMinutes(4));         // still inside the wait
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        var w1 = CreateTestProbe("w1");
        w1.Send(coordinator, new WorkerReady("w1", 1));
        var load = w1.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], load.Shards);
        Answer(w1, "w1", load);
        var pass = w1.ExpectMsg<ComputePass>();
        Assert.Equal(1, pass.PassNumber);               // the pass w0 never finished
        Clock.Advance(TimeSpan.FromMinutes(2));         // past the original wait: the join cancelled it
        Answer(w1, "w1", pass);
        PlayUntilReleased(w1, "w1");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Assert.Contains(recorder.Events.OfType<ShardsRecovered>(), e => e.Shards.SequenceEqual([0, 1, 2]));
    }

    [Fact]
    public void After_a_broker_reconnect_the_coordinator_asks_again_for_the_missing_results()
    {
        var client = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref));
        var w0 = CreateTestProbe("w0");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        var pass = PlayUntilPass(w0, "w0", 2);
        w0.Reply(Stats(pass, pass.Shards[0]));          // the other two results die with the broker

        Sys.EventStream.Publish(new BrokerReconnected("node"));
        Assert.Equal([0, 1, 2], w0.ExpectMsg<LoadShards>().Shards); // additive: a no-op for a worker that kept them
        var again = w0.ExpectMsg<ComputePass>();
        Assert.Equal(pass.PassNumber, again.PassNumber);
        Assert.Equal([1, 2], again.Shards.Select(s => s.Shard));
        Answer(w0, "w0", again);
        PlayUntilReleased(w0, "w0");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
    }

    [Fact]
    public void With_every_worker_lost_past_the_wait_the_job_fails_with_a_clear_message()
    {
        var client = CreateTestProbe();
        var recorder = new Recorder();
        var settings = CoordinatorSettings.Default with { MaxWaitForWorkers = TimeSpan.FromSeconds(30) };
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(1), BalancedByRowsPlacement.Instance, client.Ref, null, recorder, settings));
        var w0 = CreateTestProbe("w0");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        PlayUntilPass(w0, "w0", 1);
        coordinator.Tell(new WorkerDown("w0", "declared dead by the failure detector", TimeSpan.FromSeconds(10)));
        FishForEvent<WaitingForWorkers>(recorder);
        Clock.Advance(TimeSpan.FromSeconds(31));
        var aborted = client.ExpectMsg<JobAborted>();
        Assert.Contains("no worker left", aborted.Error, StringComparison.Ordinal);
        Assert.Contains("30 s", aborted.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chaos_kill_tells_the_chosen_worker_to_die_after_the_iteration_and_its_shards_move()
    {
        var client = CreateTestProbe();
        var recorder = new Recorder();
        var settings = CoordinatorSettings.Default with { Chaos = ChaosPlan.Parse(["kill:w1@2"]) };
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(Plan(2), BalancedByRowsPlacement.Instance, client.Ref, null, recorder, settings));
        var w0 = CreateTestProbe("w0");
        var w1 = CreateTestProbe("w1");
        w0.Send(coordinator, new WorkerReady("w0", 1));
        w1.Send(coordinator, new WorkerReady("w1", 1));
        var w1Life = Task.Run(() =>
        {
            while (true)
            {
                var m = w1.ExpectMsg<object>();
                if (m is ChaosKill kill) return kill; // dies: answers nothing more
                Answer(w1, "w1", m);
            }
        });
        var w0Life = Task.Run(() => PlayUntilReleased(w0, "w0"));
        Assert.Contains("kill:w1@2", (await w1Life).Reason, StringComparison.Ordinal);
        coordinator.Tell(new WorkerDown("w1", "declared dead by the failure detector", TimeSpan.FromSeconds(3)));
        await w0Life;
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Assert.Contains(recorder.Events.OfType<ChaosInjected>(), e => e.Target == "w1");
        var failed = Assert.Single(recorder.Events.OfType<WorkerFailed>());
        Assert.Equal(TimeSpan.FromSeconds(3), failed.SilentFor);
    }

    [Fact]
    public void The_registrar_declares_a_silent_worker_dead_and_the_job_moves_its_shards()
    {
        var heartbeat = new HeartbeatConfig(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 8.0, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        var downNodes = new ConcurrentQueue<string>();
        var registrar = Sys.ActorOf(Props.Create(() => new RegistrarActor(heartbeat, _ => { }, downNodes.Enqueue, _ => { })), "registrar");
        var client = CreateTestProbe();
        var recorder = new Recorder();
        var w0 = CreateTestProbe("w0");
        var w1 = CreateTestProbe("w1");
        w0.Send(registrar, new WorkerReady("w0", 1));
        w1.Send(registrar, new WorkerReady("w1", 1));
        registrar.Tell(new RegistrarActor.StartJob(Plan(2), client.Ref, recorder, CoordinatorSettings.Default, null));
        var w0Load = w0.ExpectMsg<LoadShards>();
        var w1Load = w1.ExpectMsg<LoadShards>();
        Answer(w0, "w0", w0Load);
        Answer(w1, "w1", w1Load);
        var w0Pass = w0.ExpectMsg<ComputePass>();
        w1.ExpectMsg<ComputePass>();                    // w1 goes silent from here on
        Answer(w0, "w0", w0Pass);

        // w0 keeps heartbeating; w1 does not. The ack tells a counted worker it is known.
        var agent = CreateTestProbe("agent");
        for (var second = 1; second <= 7; second++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            agent.Send(registrar, new Heartbeat("w0"));
            Assert.True(agent.ExpectMsg<HeartbeatAck>().Known);
        }
        var inherited = w0.ExpectMsg<LoadShards>();
        Assert.Equal([0, 1, 2], inherited.Shards);
        Assert.Equal(["w1"], downNodes);
        Answer(w0, "w0", inherited);
        PlayUntilReleased(w0, "w0");
        Assert.Equal(Reference.ToBytes(), client.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
        Assert.Contains(recorder.Events.OfType<WorkerUnreachable>(), e => e.WorkerId == "w1");
        var failed = Assert.Single(recorder.Events.OfType<WorkerFailed>());
        Assert.Equal("w1", failed.WorkerId);
        Assert.True(failed.SilentFor > heartbeat.DeadAfter);

        // The dead worker's next heartbeat is answered "unknown": it must announce itself again.
        agent.Send(registrar, new Heartbeat("w1"));
        Assert.False(agent.ExpectMsg<HeartbeatAck>().Known);
    }

    private static T FishForEvent<T>(Recorder recorder) where T : JobEvent
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (recorder.Events.OfType<T>().FirstOrDefault() is { } found) return found;
            Thread.Yield();
        }
        throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} within 5 s");
    }
}
