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
        s = StatusBridge.Apply(s, new JobFinished(t, "job-1", false, "no workers"));
        Assert.Equal("failed", s.State);
        Assert.Equal(["up", "failed"], s.Nodes.Select(n => n.State));
        Assert.Equal(["w0", "w1"], s.Shards.Select(x => x.Node));
        Assert.Equal(["info", "info", "warning", "error"], s.Events.Select(e => e.Level));
    }
}
