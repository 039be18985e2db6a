using System.Globalization;
using System.Text;
using DistGmm.Cluster;
using DistGmm.Reporting;

namespace DistGmm.Cli.Reports;

/// <summary>
/// Turns a run's recorded job events (timeline.json) into the report's cluster timeline: per worker, one bar for each
/// period it held an unchanged set of shards (ended by a reassignment, its failure, or the job's end), markers for
/// failures, reassignments and recoveries, a line per EM iteration and per job stage.
/// </summary>
public static class ClusterTimelineBuilder
{
    /// <summary>The timeline of RUN_DIR/timeline.json; null when the run has none or never assigned shards.</summary>
    public static ClusterTimeline? Load(string runDir)
    {
        var path = Path.Combine(runDir, TimelineRecorder.FileName);
        return File.Exists(path) ? FromFile(TimelineFile.Load(path)) : null;
    }

    public static ClusterTimeline? FromFile(TimelineFile file)
    {
        if (!file.Events.Any(e => e.Kind == "shardsAssigned")) return null;
        var workers = new List<string>();
        var spans = new List<ShardSpan>();
        var events = new List<TimelineEvent>();
        var open = new Dictionary<string, (double Start, int[] Shards)>(StringComparer.Ordinal);
        var owner = new Dictionary<int, string>();
        var assignedInJob = false;
        var jobKind = "job";
        var maxShard = -1;
        var multiK = file.Events.Where(e => e.Kind == "iterationCompleted").Select(e => e.K).Distinct().Count() > 1;

        void Seen(string? worker)
        {
            if (worker is not null && !workers.Contains(worker)) workers.Add(worker);
        }

        void Close(string worker, double t, SpanOutcome outcome)
        {
            if (!open.Remove(worker, out var span)) return;
            spans.Add(new ShardSpan(worker, ShardLabel(span.Shards), span.Start, Math.Max(t, span.Start), outcome));
        }

        foreach (var e in file.Events)
        {
            switch (e.Kind)
            {
                case "jobStarted":
                    foreach (var w in open.Keys.ToList()) Close(w, e.T, SpanOutcome.Completed);
                    owner.Clear();
                    assignedInJob = false;
                    jobKind = e.Reason ?? "job";
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.JobStage, null, $"{jobKind} started"));
                    break;
                case "shardsAssigned" when e.Assignment is { } assignment:
                    foreach (var w in assignment.Keys.Order(StringComparer.Ordinal)) Seen(w);
                    foreach (var w in open.Keys.Union(assignment.Keys).ToList())
                    {
                        var now = assignment.TryGetValue(w, out var s) ? s.Order().ToArray() : [];
                        if (open.TryGetValue(w, out var held))
                        {
                            if (held.Shards.SequenceEqual(now)) continue;
                            // A bar ends when its shard set changes: amber when shards moved away, blue when it only gained.
                            Close(w, e.T, held.Shards.Except(now).Any() ? SpanOutcome.Reassigned : SpanOutcome.Completed);
                        }
                        if (now.Length > 0) open[w] = (e.T, now);
                    }
                    foreach (var (w, shards) in assignment)
                        foreach (var shard in shards)
                        {
                            maxShard = Math.Max(maxShard, shard);
                            if (assignedInJob && owner.TryGetValue(shard, out var from) && from != w)
                                events.Add(new TimelineEvent(e.T, TimelineEventKind.ShardReassigned, w, $"shard {shard} from {from} ({e.Reason})"));
                            else if (assignedInJob && !owner.ContainsKey(shard))
                                events.Add(new TimelineEvent(e.T, TimelineEventKind.ShardReassigned, w, $"shard {shard} ({e.Reason})"));
                            owner[shard] = w;
                        }
                    assignedInJob = true;
                    break;
                case "workerFailed":
                    Seen(e.Worker);
                    if (e.Worker is not null) Close(e.Worker, e.T, SpanOutcome.Failed);
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.WorkerLost, e.Worker,
                        (e.Reason ?? "") + (e.Seconds is { } silent ? string.Create(CultureInfo.InvariantCulture, $" (unreachable for {silent:0.0} s before removal)") : "")));
                    break;
                case "workerJoined":
                    Seen(e.Worker);
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.WorkerJoined, e.Worker, e.Reason ?? ""));
                    break;
                case "workerUnreachable":
                    Seen(e.Worker);
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.WorkerUnreachable, e.Worker, e.Detail));
                    break;
                case "workerRecovered":
                    Seen(e.Worker);
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.WorkerRecovered, e.Worker, "restarted; reloads and recomputes its shards"));
                    break;
                case "shardsRecovered":
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.ShardsRecovered, null, e.Detail));
                    break;
                case "waitingForWorkers":
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.WaitingForWorkers, null, e.Detail));
                    break;
                case "jobResumed":
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.JobResumed, null, e.Detail));
                    break;
                case "chaosInjected":
                    // The target is a worker (its row gets the marker) or something else (the job-wide row).
                    var target = e.Worker is not null && (workers.Contains(e.Worker) || open.ContainsKey(e.Worker)) ? e.Worker : null;
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.ChaosInjected, target, e.Detail));
                    break;
                case "stageChanged":
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.JobStage, null, $"{jobKind}: {e.Reason ?? e.Detail}"));
                    break;
                case "iterationCompleted":
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.IterationCompleted, null,
                        (multiK ? $"K={e.K} " : "") + $"it {e.Iteration}"));
                    break;
                case "jobFinished":
                    var ok = e.Succeeded ?? true;
                    foreach (var w in open.Keys.ToList()) Close(w, e.T, ok ? SpanOutcome.Completed : SpanOutcome.Failed);
                    events.Add(new TimelineEvent(e.T, TimelineEventKind.JobStage, null, ok ? $"{jobKind} finished" : $"{jobKind} failed"));
                    break;
            }
        }

        // A timeline cut short (the process stopped mid-job) still shows what was held until its last event.
        var last = file.Events.Count > 0 ? file.Events[^1].T : 0;
        foreach (var w in open.Keys.ToList()) Close(w, last, SpanOutcome.Completed);

        return new ClusterTimeline(workers, [.. spans.OrderBy(s => workers.IndexOf(s.Worker)).ThenBy(s => s.StartSeconds)], events)
        {
            ShardCount = maxShard + 1,
            Source = "the job events recorded in timeline.json; a bar is a worker holding (loading, computing on) its shards",
        };
    }

    /// <summary>"shard 3", "shards 0-3", "shards 0,2,4,6", "shards 0-2,5".</summary>
    public static string ShardLabel(IReadOnlyList<int> shards)
    {
        if (shards.Count == 1) return $"shard {shards[0]}";
        var sb = new StringBuilder("shards ");
        for (var i = 0; i < shards.Count;)
        {
            var j = i;
            while (j + 1 < shards.Count && shards[j + 1] == shards[j] + 1) j++;
            if (i > 0) sb.Append(',');
            sb.Append(shards[i]);
            if (j > i) sb.Append(j == i + 1 ? ',' : '-').Append(shards[j]);
            i = j + 1;
        }
        return sb.ToString();
    }
}
