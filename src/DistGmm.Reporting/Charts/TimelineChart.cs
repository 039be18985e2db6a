using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <summary>Gantt-style timeline: one row per worker, a bar per shard span, markers for failures and reassignments.</summary>
public static class TimelineChart
{
    public static string Render(string id, ClusterTimeline timeline)
    {
        var workers = timeline.Workers.ToList();
        // Workers that appear only in spans/events still get a row.
        foreach (var w in timeline.Spans.Select(s => s.Worker).Concat(timeline.Events.Select(e => e.Worker)))
            if (w is not null && !workers.Contains(w)) workers.Add(w);

        const double rowHeight = 30, top = 34, left = 110, right = 20;
        var height = top + Math.Max(1, workers.Count) * rowHeight + 64;
        var frame = new PlotFrame(Width: 1080, Height: height, Left: left, Right: right, Top: top, Bottom: 64);
        var end = timeline.Spans.Select(s => s.EndSeconds).Concat(timeline.Events.Select(e => e.AtSeconds)).DefaultIfEmpty(1).Max();
        var x = LinearScale.Nice(0, Math.Max(end, 1e-3), frame.PlotLeft, frame.PlotRight, 10);
        var rows = new BandScale(workers.Count, frame.PlotTop, frame.PlotBottom, 0.3);
        var svg = new SvgBuilder(frame.Width, frame.Height, id, "Cluster timeline of workers and shards");

        svg.OpenGroup("axes");
        foreach (var t in x.Ticks())
        {
            var px = x.Map(t.Value);
            svg.Line(px, frame.PlotTop, px, frame.PlotBottom, "grid");
            svg.Text(px, frame.PlotBottom + 16, t.Label, "tick", "middle");
        }

        for (var i = 0; i < workers.Count; i++)
            svg.Text(left - 8, rows.Center(i) + 4, workers[i], "row-label", "end");
        svg.Line(frame.PlotLeft, frame.PlotBottom, frame.PlotRight, frame.PlotBottom, "axis");
        svg.Text((frame.PlotLeft + frame.PlotRight) / 2, height - 10, "seconds since job start", "axis-title", "middle");
        svg.CloseGroup();

        // Dozens of iterations can fall within a second: every line is drawn, labels only where they do not collide.
        svg.OpenGroup("iterations");
        var lastLabel = double.NegativeInfinity;
        foreach (var e in timeline.Events.Where(e => e.Kind == TimelineEventKind.IterationCompleted).OrderBy(e => e.AtSeconds))
        {
            var px = x.Map(e.AtSeconds);
            svg.Line(px, frame.PlotTop - 6, px, frame.PlotBottom, "iteration-line");
            if (px - lastLabel < e.Detail.Length * 5.5 + 6) continue;
            svg.Text(px, frame.PlotTop - 10, e.Detail, "iteration-label", "middle");
            lastLabel = px;
        }

        svg.CloseGroup();

        // Job starts/ends and stage changes: a line across all rows, labels on two staggered rows under the axis.
        svg.OpenGroup("stages");
        var lastEnd = new[] { double.NegativeInfinity, double.NegativeInfinity };
        foreach (var e in timeline.Events.Where(e => e.Kind == TimelineEventKind.JobStage).OrderBy(e => e.AtSeconds))
        {
            var px = x.Map(e.AtSeconds);
            svg.Path($"M{Fmt.Coord(px)},{Fmt.Coord(frame.PlotTop)}L{Fmt.Coord(px)},{Fmt.Coord(frame.PlotBottom)}", "stage-line",
                $"{Fmt.Short(e.AtSeconds)} s: {e.Detail}");
            var lane = px > lastEnd[0] + 4 ? 0 : px > lastEnd[1] + 4 ? 1 : -1;
            if (lane < 0) continue;
            // Near the right edge the label goes left of its line rather than off the picture.
            var width = e.Detail.Length * 5.5;
            var atEnd = px + 3 + width > frame.Width - 4;
            svg.Text(atEnd ? px - 3 : px + 3, frame.PlotBottom + 28 + lane * 11, e.Detail, "stage-label", atEnd ? "end" : "start");
            lastEnd[lane] = atEnd ? px : px + 3 + width;
        }

        svg.CloseGroup();

        svg.OpenGroup("spans");
        foreach (var s in timeline.Spans)
        {
            var row = workers.IndexOf(s.Worker);
            var x0 = x.Map(s.StartSeconds);
            var w = Math.Max(1.5, x.Map(s.EndSeconds) - x0);
            var cls = "span span-" + s.Outcome.ToString().ToLowerInvariant();
            var iter = s.Iteration is { } it ? $", iteration {it}" : "";
            svg.Rect(x0, rows.Start(row), w, rows.Bandwidth, cls,
                $"{s.Shard} on {s.Worker}{iter}: {Fmt.Short(s.StartSeconds)}–{Fmt.Short(s.EndSeconds)} s, {s.Outcome.ToString().ToLowerInvariant()}");
            if (w > s.Shard.Length * 6 + 6)
                svg.Text(x0 + w / 2, rows.Center(row) + 4, s.Shard, "span-label", "middle");
        }

        svg.CloseGroup();

        svg.OpenGroup("events");
        foreach (var e in timeline.Events.Where(e => e.Kind is not (TimelineEventKind.IterationCompleted or TimelineEventKind.JobStage)))
        {
            var px = x.Map(e.AtSeconds);
            var row = e.Worker is null ? -1 : workers.IndexOf(e.Worker);
            var py = row < 0 ? frame.PlotBottom - 6 : rows.Center(row);
            var title = $"{Fmt.Short(e.AtSeconds)} s: {Describe(e.Kind)}{(e.Worker is null ? "" : " (" + e.Worker + ")")} {e.Detail}".TrimEnd();
            svg.Path(MarkerPath(e.Kind, px, py), "event event-" + Slug(e.Kind), title);
        }

        svg.CloseGroup();
        return svg.ToString();
    }

    public static string Describe(TimelineEventKind kind) => kind switch
    {
        TimelineEventKind.WorkerJoined => "worker joined",
        TimelineEventKind.WorkerLost => "worker lost",
        TimelineEventKind.ShardFailed => "shard failed",
        TimelineEventKind.ShardReassigned => "shard reassigned",
        TimelineEventKind.IterationCompleted => "iteration completed",
        TimelineEventKind.WorkerUnreachable => "worker unreachable",
        TimelineEventKind.WorkerRecovered => "worker recovered",
        TimelineEventKind.ShardsRecovered => "shards recomputed",
        TimelineEventKind.ChaosInjected => "fault injected",
        TimelineEventKind.WaitingForWorkers => "waiting for workers",
        TimelineEventKind.JobResumed => "job resumed",
        TimelineEventKind.JobStage => "job stage",
        _ => kind.ToString(),
    };

    public static string Slug(TimelineEventKind kind) => Describe(kind).Replace(' ', '-');

    // Distinct shapes so the legend works in greyscale too: ▲ joined/recovered, ✕ lost/failed, ◆ reassigned,
    // ○ unreachable, ■ recomputed, ★ fault injected, ● job-wide (waiting, resumed).
    private static string MarkerPath(TimelineEventKind kind, double x, double y)
    {
        string F(double v) => Fmt.Coord(v);
        return kind switch
        {
            TimelineEventKind.WorkerJoined or TimelineEventKind.WorkerRecovered => $"M{F(x)},{F(y - 7)}L{F(x + 6)},{F(y + 5)}L{F(x - 6)},{F(y + 5)}Z",
            TimelineEventKind.ShardReassigned => $"M{F(x)},{F(y - 7)}L{F(x + 7)},{F(y)}L{F(x)},{F(y + 7)}L{F(x - 7)},{F(y)}Z",
            TimelineEventKind.ShardsRecovered => $"M{F(x - 5)},{F(y - 5)}L{F(x + 5)},{F(y - 5)}L{F(x + 5)},{F(y + 5)}L{F(x - 5)},{F(y + 5)}Z",
            TimelineEventKind.WorkerUnreachable or TimelineEventKind.WaitingForWorkers or TimelineEventKind.JobResumed =>
                $"M{F(x - 6)},{F(y)}A6,6 0 1,0 {F(x + 6)},{F(y)}A6,6 0 1,0 {F(x - 6)},{F(y)}Z",
            TimelineEventKind.ChaosInjected => Star(x, y),
            _ => $"M{F(x - 6)},{F(y - 6)}L{F(x + 6)},{F(y + 6)}M{F(x + 6)},{F(y - 6)}L{F(x - 6)},{F(y + 6)}",
        };
    }

    private static string Star(double x, double y)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            var r = i % 2 == 0 ? 8 : 3.5;
            var a = -Math.PI / 2 + i * Math.PI / 5;
            sb.Append(i == 0 ? 'M' : 'L').Append(Fmt.Coord(x + r * Math.Cos(a))).Append(',').Append(Fmt.Coord(y + r * Math.Sin(a)));
        }
        return sb.Append('Z').ToString();
    }
}
