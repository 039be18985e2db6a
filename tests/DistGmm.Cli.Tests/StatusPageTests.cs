using System.Net.Http.Json;
using System.Text.Json;
using DistGmm.Cli.Commands;
using DistGmm.Cli.Tests.Browser;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Reporting.Status;

namespace DistGmm.Cli.Tests;

/// <summary>The live status page follows a real embedded job as its iterations complete.</summary>
public sealed class StatusPageTests
{
    [Fact]
    public async Task Status_api_shows_each_iteration_of_a_running_job()
    {
        var work = Directory.CreateTempSubdirectory("distgmm-status-").FullName;
        Ingestion.Ingest(new IngestOptions(SmallKdd.File3000, Path.Combine(work, "dataset"), Shards: 3));
        var board = new StatusBoard();
        await using var server = await StatusServer.StartAsync(board, new StatusServerOptions { Urls = "http://127.0.0.1:0" });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        // The job pauses after each iteration until the test has seen it on /api/status: no sleeps, no races.
        var gate = new IterationGate();
        var job = Task.Run(() => EmbeddedJob.TrainAsync(
            new TrainJobSpec(Path.Combine(work, "dataset"), PreprocessingSpec.Preset("seed"),
                new EmOptions(2, CovarianceType.Diag, MaxIter: 4, Tol: 0), Workers: 2, TrainOnLabels: [], OutDir: work),
            new CompositeObserver(new StatusBridge(board), gate)));

        for (var iteration = 1; iteration <= 4; iteration++)
        {
            // A job that fails before reaching the iteration surfaces its own exception here.
            await Task.WhenAny(gate.Reached(iteration), job).WaitAsync(TimeSpan.FromSeconds(120));
            if (job.IsCompleted) await job;
            var status = await http.GetFromJsonAsync<JsonElement>("/api/status");
            Assert.Equal(iteration, status.GetProperty("iteration").GetInt32());
            Assert.True(iteration == status.GetProperty("lowerBound").GetArrayLength(), $"iteration {iteration}: {status}");
            Assert.Equal(2, status.GetProperty("nodes").GetArrayLength());
            Assert.Equal(3, status.GetProperty("shards").GetArrayLength());
            gate.Release();
        }
        var outcome = await job.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(4 == outcome.Fit.Iterations, $"iterations {outcome.Fit.Iterations} converged {outcome.Fit.Converged} history [{string.Join(", ", outcome.Fit.LowerBoundHistory)}]");
        var html = await http.GetStringAsync("/");
        Assert.Contains("api/status", html);
    }

    [Fact]
    public void Bridge_marks_a_failed_worker_and_a_failed_job()
    {
        var t = DateTimeOffset.UnixEpoch;
        var s = StatusSnapshot.Empty with { Shards = [new ShardStatus("shard-00000", "pending", null, 5), new ShardStatus("shard-00001", "pending", null, 7)] };
        s = StatusBridge.Apply(s, new JobStarted(t, "job-1", "training", 2, 2));
        Assert.Equal([5L, 7L], s.Shards.Select(x => x.Records));   // the manifest's row counts survive the job start
        s = StatusBridge.Apply(s, new ShardsAssigned(t, new Dictionary<string, IReadOnlyList<int>> { ["w0"] = [0], ["w1"] = [1] }, "initial"));
        s = StatusBridge.Apply(s, new WorkerFailed(t, "w1", "crashed"));
        // A pass's timing is not a recent event of the page (there is one per pass).
        Assert.Same(s, StatusBridge.Apply(s, new PassTimed(t, 3, TimeSpan.FromMilliseconds(60), TimeSpan.FromMilliseconds(57), TimeSpan.FromMilliseconds(55), 2)));
        s = StatusBridge.Apply(s, new JobFinished(t, "job-1", false, "no workers"));
        Assert.Equal("failed", s.State);
        Assert.Equal(["up", "lost"], s.Nodes.Select(n => n.State));
        Assert.Equal(["w0", "w1"], s.Shards.Select(x => x.Node));
        Assert.Equal(["info", "info", "warning", "error"], s.Events.Select(e => e.Level));
    }

    [Fact]
    public void Bridge_lists_remote_workers_by_node_address_with_their_own_last_membership_event()
    {
        var t = DateTimeOffset.UnixEpoch;
        var s = StatusBridge.Apply(StatusSnapshot.Empty, new JobStarted(t, "run-train", "train", 2, 2));
        s = StatusBridge.Apply(s, new WorkerJoinedJob(t.AddSeconds(1), "worker-1", false, "akka.tcp://distgmm@127.0.0.1:41001"));
        s = StatusBridge.Apply(s, new WorkerJoinedJob(t.AddSeconds(2), "worker-2", false, "akka.tcp://distgmm@127.0.0.1:41002"));
        s = StatusBridge.Apply(s, new ShardsAssigned(t.AddSeconds(2), new Dictionary<string, IReadOnlyList<int>> { ["worker-1"] = [0], ["worker-2"] = [1] }, "initial placement"));
        s = StatusBridge.Apply(s, new IterationCompleted(t.AddSeconds(5), 2, 1, -3.5, null, TimeSpan.FromSeconds(1)));
        s = StatusBridge.Apply(s, new WorkerUnreachable(t.AddSeconds(6), "worker-2"));
        s = StatusBridge.Apply(s, new WorkerDowned(t.AddSeconds(9), "worker-2"));
        s = StatusBridge.Apply(s, new WorkerFailed(t.AddSeconds(10), "worker-2", "node removed from the cluster", TimeSpan.FromSeconds(4)));
        s = StatusBridge.Apply(s, new ShardsAssigned(t.AddSeconds(10), new Dictionary<string, IReadOnlyList<int>> { ["worker-1"] = [0, 1] }, "worker-2 lost"));

        Assert.Equal(
            [
                new NodeStatus("worker-1", "akka.tcp://distgmm@127.0.0.1:41001", "up", 2, t.AddSeconds(1), "joined"),
                new NodeStatus("worker-2", "akka.tcp://distgmm@127.0.0.1:41002", "lost", 0, t.AddSeconds(10), "lost"),
            ], s.Nodes);

        // The scoring job of the run introduces the survivor again; the lost worker stays listed as lost.
        s = StatusBridge.Apply(s, new JobStarted(t.AddSeconds(20), "run-score", "score", 2, 1));
        s = StatusBridge.Apply(s, new WorkerJoinedJob(t.AddSeconds(21), "worker-1", false, "akka.tcp://distgmm@127.0.0.1:41001"));
        Assert.Equal([("worker-1", "up", t.AddSeconds(21)), ("worker-2", "lost", t.AddSeconds(10))],
            s.Nodes.Select(n => (n.Id, n.State, n.LastEvent!.Value)));

        var json = JsonSerializer.Serialize(s, StatusServer.Json);
        Assert.Contains("\"address\":\"akka.tcp://distgmm@127.0.0.1:41001\"", json);
        Assert.Contains("\"lastEvent\":", json);
        Assert.DoesNotContain("lastHeartbeat", json);
    }

    [Fact]
    public void Bridge_shows_embedded_workers_as_in_process_and_a_reachable_worker_as_up_again()
    {
        var t = DateTimeOffset.UnixEpoch;
        var s = StatusBridge.Apply(StatusSnapshot.Empty, new WorkerJoinedJob(t, "worker-0", false));
        s = StatusBridge.Apply(s, new WorkerUnreachable(t.AddSeconds(1), "worker-0"));
        Assert.Equal(new NodeStatus("worker-0", "in-process", "unreachable", 0, t.AddSeconds(1), "unreachable"), Assert.Single(s.Nodes));
        s = StatusBridge.Apply(s, new WorkerRecovered(t.AddSeconds(2), "worker-0"));
        Assert.Equal(new NodeStatus("worker-0", "in-process", "up", 0, t.AddSeconds(2), "recovered"), Assert.Single(s.Nodes));
    }
}
