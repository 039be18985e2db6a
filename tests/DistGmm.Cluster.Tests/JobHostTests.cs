using Akka.Actor;
using DistGmm.Cluster;
using DistGmm.Cluster.Hosting;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>The job host of embedded runs: its worker children, one job at a time, the coordinator under its supervisor.</summary>
public sealed class JobHostTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private static readonly DataMatrix[] Shards = ScriptedWorker.Shards;

    private static WorkerProvisioning.Children Children(int count) => new(count, 1, new InMemoryShardSource(Shards), null);

    [Fact]
    public void WaitForWorkers_is_answered_once_enough_worker_children_have_announced_themselves()
    {
        var host = Sys.ActorOf(JobHostActor.Props(Children(3)));
        host.Tell(new WaitForWorkers(3), TestActor);
        Assert.Equal(3, ExpectMsg<WorkersAvailable>().Count);
        host.Tell(new WaitForWorkers(1), TestActor);   // already there: at once
        Assert.Equal(3, ExpectMsg<WorkersAvailable>().Count);
    }

    [Fact]
    public void A_second_job_is_refused_while_one_runs_and_accepted_after_EndJob()
    {
        var host = Sys.ActorOf(JobHostActor.Props(Children(2)));
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        host.Tell(new StartJob(ScriptedWorker.Plan(2), NullJobObserver.Instance, CoordinatorSettings.Embedded), first.Ref);
        host.Tell(new StartJob(ScriptedWorker.Plan(2) with { JobId = "job-2" }, NullJobObserver.Instance, CoordinatorSettings.Embedded), second.Ref);
        var refused = second.ExpectMsg<JobAborted>();
        Assert.Equal(("job-2", "job job-1 is still running on this coordinator (one job at a time)"), (refused.JobId, refused.Error));
        Assert.Equal(ScriptedWorker.Reference.ToBytes(), first.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());

        host.Tell(new EndJob("job-1"));
        host.Tell(new StartJob(ScriptedWorker.Plan(2) with { JobId = "job-2" }, NullJobObserver.Instance, CoordinatorSettings.Embedded), second.Ref);
        Assert.Equal(ScriptedWorker.Reference.ToBytes(), second.ExpectMsg<JobCompleted>().State.BestFit!.Model.ToBytes());
    }
}
