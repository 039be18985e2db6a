using System.Text.RegularExpressions;
using DistGmm.Cli.Reports;
using DistGmm.Cluster;
using DistGmm.Reporting;

namespace DistGmm.Cli.Tests;

/// <summary>report.html's cluster timeline, built from the job events a run recorded in timeline.json.</summary>
public sealed class ClusterTimelineReportTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    private static Dictionary<string, IReadOnlyList<int>> Owners(params (string Worker, int[] Shards)[] owners) =>
        owners.ToDictionary(o => o.Worker, o => (IReadOnlyList<int>)o.Shards);

    /// <summary>Three workers train on six shards; worker-1 is declared dead after iteration 1 and its shards move.</summary>
    private static TimelineFile TrainLosingWorker1(string dir)
    {
        var path = Path.Combine(dir, TimelineRecorder.FileName);
        using (var recorder = new TimelineRecorder(path))
        {
            JobEvent[] events =
            [
                new JobStarted(At(0), "train-1", "train", 6, 3),
                new WorkerJoinedJob(At(0.5), "worker-0", false), new WorkerJoinedJob(At(0.5), "worker-1", false), new WorkerJoinedJob(At(0.5), "worker-2", false),
                new ShardsAssigned(At(1), Owners(("worker-0", [0, 3]), ("worker-1", [1, 4]), ("worker-2", [2, 5])), "initial placement"),
                new StageChanged(At(1), "loading"),
                new StageChanged(At(2), "training"),
                new IterationCompleted(At(3), 2, 1, -5, null, TimeSpan.FromSeconds(1)),
                new WorkerUnreachable(At(3.5), "worker-1"),
                new WorkerFailed(At(4), "worker-1", "declared dead", TimeSpan.FromSeconds(2)),
                new ShardsAssigned(At(4), Owners(("worker-0", [0, 1, 3]), ("worker-2", [2, 4, 5])), "worker-1 lost"),
                new ShardsRecovered(At(5), [1, 4], TimeSpan.FromSeconds(1)),
                new IterationCompleted(At(6), 2, 2, -4.5, 0.5, TimeSpan.FromSeconds(3)),
                new JobFinished(At(7), "train-1", true, null),
            ];
            foreach (var e in events) recorder.OnEvent(e);
        }
        return TimelineFile.Load(path);
    }

    [Fact]
    public void Failure_and_reassignment_become_bars_and_markers()
    {
        var timeline = ClusterTimelineBuilder.FromFile(TrainLosingWorker1(Directory.CreateTempSubdirectory("distgmm-tl-").FullName))!;

        Assert.Equal(["worker-0", "worker-1", "worker-2"], timeline.Workers);
        Assert.Equal(6, timeline.ShardCount);
        // worker-1 holds its shards until it is declared dead; the survivors' bars change where they gain shards.
        Assert.Equal(
        [
            new ShardSpan("worker-0", "shards 0,3", 1, 4, SpanOutcome.Completed),
            new ShardSpan("worker-0", "shards 0,1,3", 4, 7, SpanOutcome.Completed),
            new ShardSpan("worker-1", "shards 1,4", 1, 4, SpanOutcome.Failed),
            new ShardSpan("worker-2", "shards 2,5", 1, 4, SpanOutcome.Completed),
            new ShardSpan("worker-2", "shards 2,4,5", 4, 7, SpanOutcome.Completed),
        ], timeline.Spans);
        var notable = timeline.Events.Where(e => e.Kind is not (TimelineEventKind.IterationCompleted or TimelineEventKind.JobStage or TimelineEventKind.WorkerJoined)).ToList();
        Assert.Equal(
        [
            new TimelineEvent(3.5, TimelineEventKind.WorkerUnreachable, "worker-1", "worker worker-1 unreachable (cluster failure detector)"),
            new TimelineEvent(4, TimelineEventKind.WorkerLost, "worker-1", "declared dead (unreachable for 2.0 s before removal)"),
            new TimelineEvent(4, TimelineEventKind.ShardReassigned, "worker-0", "shard 1 from worker-1 (worker-1 lost)"),
            new TimelineEvent(4, TimelineEventKind.ShardReassigned, "worker-2", "shard 4 from worker-1 (worker-1 lost)"),
            new TimelineEvent(5, TimelineEventKind.ShardsRecovered, null, "shards [1,4] recomputed after reassignment in 1.00 s"),
        ], notable);
        Assert.Equal(["it 1", "it 2"], timeline.Events.Where(e => e.Kind == TimelineEventKind.IterationCompleted).Select(e => e.Detail));
        Assert.Equal(["train started", "train: loading", "train: training", "train finished"],
            timeline.Events.Where(e => e.Kind == TimelineEventKind.JobStage).Select(e => e.Detail));
        Assert.Equal(3, timeline.Events.Count(e => e.Kind == TimelineEventKind.WorkerJoined));
    }

    [Fact]
    public void Report_of_a_real_run_draws_the_recorded_failure_and_reassignment_markers()
    {
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-tl-run-").FullName, "run");
        var run = CliRunner.Run("run", SmallKdd.File3000, "--out", outDir, "--workers", "2", "--max-iter", "3", "--no-report");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Out}\n{run.Error}");

        // The run recorded both of its jobs on one clock, each with its initial placement of all 8 shards over 2 workers.
        var recorded = TimelineFile.Load(Path.Combine(outDir, TimelineRecorder.FileName));
        Assert.Equal(["train", "score"], recorded.Events.Where(e => e.Kind == "jobStarted").Select(e => e.Reason));
        var placements = recorded.Events.Where(e => e.Kind == "shardsAssigned").ToList();
        Assert.Equal(2, placements.Count);
        Assert.All(placements, p => Assert.Equal(Enumerable.Range(0, 8), p.Assignment!.Values.SelectMany(s => s).Order()));
        Assert.Equal(3, recorded.Events.Count(e => e.Kind == "iterationCompleted"));
        var times = recorded.Events.Select(e => e.T).ToList();
        Assert.Equal(times.Order(), times);

        var healthy = ReportWriter.Render(RunReportBuilder.Build(outDir, Path.Combine(outDir, "dataset")));
        Assert.Contains("2 workers, 8 shards, 4 work spans, 0 failures, 0 reassignments.", healthy);
        Assert.Equal(4, Count(healthy, "class=\"span span-completed\""));
        Assert.Equal(3, Count(healthy, "class=\"iteration-line\""));

        // The same run folder with the timeline of a job that lost a worker: `distgmm report` draws what happened.
        TrainLosingWorker1(outDir);
        var report = CliRunner.Run("report", outDir);
        Assert.True(report.ExitCode == 0, report.Error);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("3 workers, 6 shards, 5 work spans, 1 failure, 2 reassignments.", html);
        Assert.Equal(1, Count(html, "class=\"span span-failed\""));
        Assert.Equal(1, Count(html, "class=\"event event-worker-lost\""));
        Assert.Equal(2, Count(html, "class=\"event event-shard-reassigned\""));
        Assert.Equal(1, Count(html, "class=\"event event-worker-unreachable\""));
        Assert.Equal(1, Count(html, "class=\"event event-shards-recomputed\""));
        Assert.Contains("<title>4 s: worker lost (worker-1) declared dead (unreachable for 2.0 s before removal)</title>", html);
        Assert.Contains("<td>shard reassigned</td><td>worker-0</td><td>shard 1 from worker-1 (worker-1 lost)</td>", html);
    }

    [Fact]
    public void A_run_folder_without_timeline_json_reports_no_timeline()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-tl-none-").FullName;
        Assert.Null(ClusterTimelineBuilder.Load(dir));
        File.WriteAllText(Path.Combine(dir, TimelineRecorder.FileName), """{"version":1,"startedAt":"2025-03-01T12:00:00+00:00","events":[]}""");
        Assert.Null(ClusterTimelineBuilder.Load(dir)); // nothing was ever assigned: nothing to draw
    }

    [Theory]
    [InlineData(new[] { 3 }, "shard 3")]
    [InlineData(new[] { 0, 1 }, "shards 0,1")]
    [InlineData(new[] { 0, 1, 2, 3 }, "shards 0-3")]
    [InlineData(new[] { 0, 2, 4, 6 }, "shards 0,2,4,6")]
    [InlineData(new[] { 0, 1, 2, 5, 7, 8 }, "shards 0-2,5,7,8")]
    public void Shard_sets_are_named_compactly(int[] shards, string expected) =>
        Assert.Equal(expected, ClusterTimelineBuilder.ShardLabel(shards));

    private static int Count(string text, string needle) => Regex.Matches(text, Regex.Escape(needle)).Count;
}
