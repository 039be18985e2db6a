using System.Collections.Concurrent;
using System.Text.Json;
using DistGmm.Cluster;
using Xunit;

namespace DistGmm.Cluster.Tests;

public sealed class TimelineRecorderTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    private sealed class Collect : IJobObserver
    {
        public ConcurrentQueue<JobEvent> Events { get; } = new();
        public void OnEvent(JobEvent e) => Events.Enqueue(e);
    }

    /// <summary>A training job that loses worker-1 after its first iteration (the events the coordinator publishes).</summary>
    public static JobEvent[] TrainWithFailure() =>
    [
        new JobStarted(At(0), "train-1", "train", 4, 2),
        new WorkerJoinedJob(At(0.25), "worker-0", MidJob: false),
        new WorkerJoinedJob(At(0.5), "worker-1", MidJob: false),
        new ShardsAssigned(At(0.5), new Dictionary<string, IReadOnlyList<int>> { ["worker-1"] = [1, 3], ["worker-0"] = [0, 2] }, "initial placement"),
        new StageChanged(At(0.5), "loading"),
        new ShardsLoaded(At(1), 400, 3),
        new StageChanged(At(1), "training"),
        new IterationCompleted(At(1.5), 2, 1, -3.5, null, TimeSpan.FromSeconds(0.5)),
        new WorkerUnreachable(At(2), "worker-1"),
        new WorkerFailed(At(2.5), "worker-1", "declared dead by the failure detector", TimeSpan.FromSeconds(2.5)),
        new ShardsAssigned(At(2.5), new Dictionary<string, IReadOnlyList<int>> { ["worker-0"] = [0, 1, 2, 3] }, "worker-1 lost"),
        new ShardsRecovered(At(3), [1, 3], TimeSpan.FromSeconds(0.5)),
        new IterationCompleted(At(3.25), 2, 2, -3.25, 0.25, TimeSpan.FromSeconds(1.75)),
        new CandidateFitted(At(3.25), 2, 2, true, -3.25, 100),
        new JobFinished(At(3.5), "train-1", true, null),
    ];

    [Fact]
    public void Records_each_job_event_with_seconds_since_the_start_and_writes_timeline_json()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-timeline-").FullName;
        var path = Path.Combine(dir, TimelineRecorder.FileName);
        var next = new Collect();
        using (var recorder = new TimelineRecorder(path, next))
            foreach (var e in TrainWithFailure()) recorder.OnEvent(e);

        // Every event reaches the next observer, timeline material or not.
        Assert.Equal(TrainWithFailure().Length, next.Events.Count);

        var file = TimelineFile.Load(path);
        Assert.Equal(1, file.Version);
        Assert.Equal(T0, file.StartedAt);
        Assert.Equal(
            ["jobStarted", "workerJoined", "workerJoined", "shardsAssigned", "stageChanged", "shardsLoaded", "stageChanged", "iterationCompleted",
             "workerUnreachable", "workerFailed", "shardsAssigned", "shardsRecovered", "iterationCompleted", "jobFinished"],
            file.Events.Select(e => e.Kind));
        Assert.Equal([0, 0.25, 0.5, 0.5, 0.5, 1, 1, 1.5, 2, 2.5, 2.5, 3, 3.25, 3.5], file.Events.Select(e => e.T));
        Assert.All(file.Events, e => Assert.Equal("train-1", e.Job));

        var initial = file.Events[3];
        Assert.Equal("initial placement", initial.Reason);
        Assert.Equal(["worker-0", "worker-1"], initial.Assignment!.Keys); // sorted: the file does not depend on dictionary order
        Assert.Equal([1, 3], initial.Assignment["worker-1"]);
        var failed = file.Events[9];
        Assert.Equal(("worker-1", "declared dead by the failure detector", 2.5), (failed.Worker, failed.Reason, failed.Seconds));
        Assert.Equal("worker worker-1 failed: declared dead by the failure detector (unreachable for 2.5 s before removal)", failed.Detail);
        var reassigned = file.Events[10];
        Assert.Equal("worker-1 lost", reassigned.Reason);
        Assert.Equal([0, 1, 2, 3], reassigned.Assignment!["worker-0"]);
        Assert.Single(reassigned.Assignment);
        Assert.Equal([1, 3], file.Events[11].Shards);
        Assert.Equal(0.5, file.Events[11].Seconds);
        var second = file.Events[12];
        Assert.Equal((2, 2, -3.25, 0.25, 1.75), (second.K!.Value, second.Iteration!.Value, second.LowerBound!.Value, second.Delta!.Value, second.Seconds!.Value));
        Assert.Null(file.Events[7].Delta);
        Assert.True(file.Events[^1].Succeeded);

        // One event per line, and the whole file is one JSON document.
        var lines = File.ReadAllLines(path);
        Assert.Equal(file.Events.Count + 2, lines.Length);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(file.Events.Count, doc.RootElement.GetProperty("events").GetArrayLength());
        Assert.False(doc.RootElement.GetProperty("events")[0].TryGetProperty("worker", out _)); // absent fields are left out
    }

    [Fact]
    public void Timeline_is_on_disk_as_soon_as_a_job_finishes_and_a_second_job_continues_the_same_clock()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-timeline-").FullName, TimelineRecorder.FileName);
        using var recorder = new TimelineRecorder(path);
        foreach (var e in TrainWithFailure()) recorder.OnEvent(e);
        Assert.Equal(14, TimelineFile.Load(path).Events.Count); // before Dispose: a run that fails later keeps its training timeline

        recorder.OnEvent(new JobStarted(At(4), "score-1", "score", 4, 1));
        recorder.OnEvent(new ScoringProgress(At(4.5), 4, 4));
        recorder.OnEvent(new JobFinished(At(5), "score-1", false, "no worker left"));
        var file = TimelineFile.Load(path);
        Assert.Equal([4, 4.5, 5], file.Events.Skip(14).Select(e => e.T));
        Assert.All(file.Events.Skip(14), e => Assert.Equal("score-1", e.Job));
        Assert.Equal((false, "no worker left"), (file.Events[^1].Succeeded!.Value, file.Events[^1].Reason));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Membership_recovery_and_chaos_events_keep_their_worker_and_durations()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-timeline-").FullName, TimelineRecorder.FileName);
        var recorder = new TimelineRecorder(path);
        recorder.OnEvent(new JobStarted(At(0), "train-2", "train", 2, 2));
        recorder.OnEvent(new ChaosInjected(At(1), "kill", "worker-1"));
        recorder.OnEvent(new WorkerRecovered(At(1.5), "worker-1"));
        recorder.OnEvent(new WaitingForWorkers(At(2), "every worker lost", TimeSpan.FromSeconds(30)));
        recorder.OnEvent(new WorkerJoinedJob(At(3), "worker-2", MidJob: true));
        recorder.OnEvent(new JobResumed(At(4), "train-2", 17, 5, "training"));
        var events = recorder.Snapshot().Events;
        Assert.Equal(("chaosInjected", "kill", "worker-1"), (events[1].Kind, events[1].Reason, events[1].Worker));
        Assert.Equal(("workerRecovered", "worker-1"), (events[2].Kind, events[2].Worker));
        Assert.Equal(("waitingForWorkers", 30.0), (events[3].Kind, events[3].Seconds!.Value));
        Assert.Equal(("workerJoined", "worker-2", "mid-job"), (events[4].Kind, events[4].Worker, events[4].Reason));
        Assert.Equal(("jobResumed", "training"), (events[5].Kind, events[5].Reason));
        Assert.False(File.Exists(path)); // no job finished yet
        recorder.Dispose();
        Assert.Equal(6, TimelineFile.Load(path).Events.Count);
    }

    [Fact]
    public void Events_from_many_threads_are_all_recorded()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-timeline-").FullName, TimelineRecorder.FileName);
        using var recorder = new TimelineRecorder(path);
        recorder.OnEvent(new JobStarted(At(0), "score-1", "score", 64, 4));
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => recorder.OnEvent(new ScoringProgress(At(1 + i / 64.0), i + 1, 64)));
        var events = recorder.Snapshot().Events;
        Assert.Equal(65, events.Count);
        Assert.Equal(Enumerable.Range(1, 64).Select(i => $"scored {i}/64 shards").Order(), events.Skip(1).Select(e => e.Detail).Order());
    }

    [Fact]
    public void A_timeline_from_a_newer_version_is_refused()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-timeline-").FullName, TimelineRecorder.FileName);
        File.WriteAllText(path, """{"version":2,"startedAt":"2025-03-01T12:00:00+00:00","events":[]}""");
        var error = Assert.Throws<InvalidDataException>(() => TimelineFile.Load(path));
        Assert.Contains("timeline version 2 is not supported", error.Message);
    }
}
