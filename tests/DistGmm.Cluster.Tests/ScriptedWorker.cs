using Akka.Actor;
using Akka.TestKit;
using DistGmm.Cluster;
using DistGmm.Numerics;

namespace DistGmm.Cluster.Tests;

/// <summary>A TestProbe playing a worker over three small synthetic shards: it answers what the coordinator asks.</summary>
internal static class ScriptedWorker
{
    public static readonly DataMatrix[] Shards = Synthetic.Shards([120, 90, 150]);

    /// <summary>The model the plan's job must produce, whatever happens on the way.</summary>
    public static readonly GaussianMixture Reference = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2), 1).Model;

    public static JobPlan Plan(int workers) =>
        new("job-1", Synthetic.Dataset, [.. Shards.Select(s => (long)s.Rows)], workers, [Synthetic.Options(2)]);

    public static ShardStatsComputed Stats(ComputePass command, ShardSlice slice) =>
        new(command.JobId, command.PassNumber, slice.Shard,
            PartitionCompute.Compute(command.Pass, Shards[slice.Shard], slice.GlobalRowOffset, 1).ToBytes());

    /// <summary>A probe named <paramref name="workerId"/> that has announced itself to the coordinator as that worker.</summary>
    public static TestProbe Join(TestKitBase kit, IActorRef coordinator, string workerId)
    {
        var worker = kit.CreateTestProbe(workerId);
        worker.Send(coordinator, new WorkerReady(workerId, 1));
        return worker;
    }

    /// <summary>Answers one command the way a worker does; returns it.</summary>
    public static object Answer(TestProbe worker, string workerId, object command)
    {
        switch (command)
        {
            case LoadShards load:
                foreach (var s in load.Shards) worker.Reply(new ShardLoaded(load.JobId, workerId, s, Shards[s].Rows, Shards[s].Cols));
                break;
            case ComputePass pass:
                foreach (var slice in pass.Shards) worker.Reply(Stats(pass, slice));
                break;
        }
        return command;
    }

    /// <summary>Answers everything the coordinator asks, until it releases the job.</summary>
    public static void PlayUntilReleased(TestProbe worker, string workerId)
    {
        while (Answer(worker, workerId, worker.ExpectMsg<object>()) is not ReleaseJob) { }
    }

    /// <summary>Answers commands until a ComputePass with the given pass number arrives (returned unanswered).</summary>
    public static ComputePass PlayUntilPass(TestProbe worker, string workerId, int passNumber)
    {
        while (true)
        {
            var message = worker.ExpectMsg<object>();
            if (message is ComputePass pass && pass.PassNumber == passNumber) return pass;
            Answer(worker, workerId, message);
        }
    }
}
