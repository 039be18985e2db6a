using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Persistence.TestKit;
using DistGmm.Cluster;
using DistGmm.Cluster.Hosting;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// A journal that fails a write mid-training (Akka.Persistence.TestKit's TestJournal as the system's journal): the
/// coordinator stops, its backoff supervisor starts it again, it recovers from the journal and the job ends with the
/// model a fault-free run writes.
/// </summary>
/// <remarks>
/// Without serialize-messages: the TestJournal is steered by local messages holding delegates, which Akka's JSON
/// fallback cannot round-trip (the interceptor never arrives). The protocol's serialization is proven elsewhere.
/// </remarks>
public sealed class JournalFailureTests() : Akka.TestKit.Xunit2.TestKit(TestJournalConfig.WithFallback(DistGmmActorSystems.BaseConfig))
{
    private static Config TestJournalConfig => ConfigurationFactory.ParseString("""
        akka.persistence.journal {
          plugin = "akka.persistence.journal.test"
          test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        """);

    private static readonly DataMatrix[] Shards = Synthetic.Shards();

    private sealed class Recorder : IJobObserver
    {
        public ConcurrentQueue<JobEvent> Events { get; } = new();
        public void OnEvent(JobEvent e) => Events.Enqueue(e);
    }

    private Task<CoordinatorState> Train(string jobId, IJobObserver? observer, Action<string, object>? faultHook = null) =>
        EmbeddedJob.RunJobAsync(Synthetic.TrainPlan(Shards, 3) with { JobId = jobId },
            new ClusterOptions(ShardSource: new InMemoryShardSource(Shards), CoresPerWorker: 1, FaultHook: faultHook, System: Sys), observer,
            CancellationToken.None);

    /// <summary>The ComputePass commands worker-0 receives, in order.</summary>
    private sealed class PassLog
    {
        public ConcurrentQueue<ComputePass> Passes { get; } = new();

        public void Hook(string worker, object command)
        {
            if (worker == "worker-0" && command is ComputePass pass) Passes.Enqueue(pass);
        }
    }

    [Fact]
    public async Task The_next_pass_is_sent_before_its_predecessor_is_journaled_and_a_failed_write_resumes_to_the_fault_free_model()
    {
        var faultFreeLog = new PassLog();
        var faultFreeEvents = new Recorder();
        var faultFree = await Train("ahead-fault-free", faultFreeEvents, faultFreeLog.Hook);
        // The third EM iteration's pass (after sampling, k-means and the initial statistics passes).
        var pass = faultFreeLog.Passes.Where(p => p.Pass is EStepPass).Select(p => p.PassNumber).ElementAt(2);

        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));
        var failures = 0;
        await journal.OnWrite.FailIf(p => p.Payload is PassCompleted completed && completed.PassNumber == pass && Interlocked.Increment(ref failures) == 1);
        var log = new PassLog();
        var recorder = new Recorder();
        var state = await Train("ahead-journal-fails", recorder, log.Hook);

        // Pass+1 went out while pass's write was under way (and failed): the journal was one pass behind the workers.
        // The recovered coordinator asked for pass again, then pass+1 again.
        Assert.Equal(2, failures);
        Assert.Single(recorder.Events.OfType<CoordinatorRestarting>());
        Assert.Equal([pass, pass + 1, pass, pass + 1], log.Passes.Select(p => p.PassNumber).SkipWhile(n => n != pass).Take(4));
        Assert.Equal(faultFree.BestFit!.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(faultFree.BestFit.LowerBoundHistory, state.BestFit.LowerBoundHistory);
        // An iteration is reported once its pass is journaled: none twice, none lost.
        Assert.Equal(faultFreeEvents.Events.OfType<IterationCompleted>().Select(i => (i.K, i.Iteration, i.LowerBound)),
            recorder.Events.OfType<IterationCompleted>().Select(i => (i.K, i.Iteration, i.LowerBound)));
        Assert.Contains(recorder.Events, e => e is JobFinished { Succeeded: true });
    }

    [Fact]
    public async Task A_failed_journal_write_during_training_restarts_the_coordinator_and_the_model_equals_a_fault_free_run()
    {
        var faultFree = await Train("fault-free", null);

        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));
        var failures = 0;
        await journal.OnWrite.FailIf(p => p.Payload is PassCompleted { PassNumber: 3 } && Interlocked.Increment(ref failures) == 1);
        var recorder = new Recorder();
        var state = await Train("journal-fails", recorder);

        Assert.Equal(2, failures);                      // pass 3: the failed write, then the one after recovery
        var restarting = Assert.Single(recorder.Events.OfType<CoordinatorRestarting>());
        Assert.Equal("journal-fails", restarting.JobId);
        Assert.Contains("PassCompleted", restarting.Reason, StringComparison.Ordinal);
        // The new incarnation replays the 8 shard loads and passes 0-2; pass 3 was never written, so it is computed again.
        var resumed = Assert.Single(recorder.Events.OfType<JobResumed>());
        Assert.Equal(8 + 3, resumed.JournalEvents);
        Assert.Equal(faultFree.BestFit!.Model.ToBytes(), state.BestFit!.Model.ToBytes());
        Assert.Equal(faultFree.BestFit.LowerBoundHistory, state.BestFit.LowerBoundHistory);
        Assert.Equal(GaussianMixtureFitter.Fit(Shards, Synthetic.Options()).Model.ToBytes(), state.BestFit.Model.ToBytes());
        Assert.Contains(recorder.Events, e => e is JobFinished { Succeeded: true });
    }

    [Fact]
    public async Task A_failed_replay_after_a_failed_write_restarts_the_coordinator_again_and_the_model_is_unchanged()
    {
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));
        var writeFailures = 0;
        var replayFailures = 0;
        await journal.OnWrite.FailIf(p => p.Payload is PassCompleted { PassNumber: 2 } && Interlocked.Increment(ref writeFailures) == 1);
        await journal.OnRecovery.FailIf(p => p.Payload is PassCompleted { PassNumber: 1 } && Interlocked.Increment(ref replayFailures) == 1);
        var recorder = new Recorder();
        var state = await Train("replay-fails", recorder);

        Assert.Equal((2, 2), (writeFailures, replayFailures)); // each failed once, then passed
        var restarts = recorder.Events.OfType<CoordinatorRestarting>().Select(r => r.Reason).ToList();
        Assert.Equal(2, restarts.Count);
        Assert.StartsWith("journal write of PassCompleted", restarts[0], StringComparison.Ordinal);
        Assert.StartsWith("journal recovery failed", restarts[1], StringComparison.Ordinal);
        Assert.Equal(8 + 2, Assert.Single(recorder.Events.OfType<JobResumed>()).JournalEvents); // the replay that succeeded
        Assert.Equal(GaussianMixtureFitter.Fit(Shards, Synthetic.Options()).Model.ToBytes(), state.BestFit!.Model.ToBytes());
    }
}
