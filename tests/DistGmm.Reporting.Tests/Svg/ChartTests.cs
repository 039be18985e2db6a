using System.Text.Json;
using DistGmm.Numerics.Evaluation;
using DistGmm.Reporting.Charts;
using Xunit;

namespace DistGmm.Reporting.Tests.Svg;

public class ChartTests
{
    [Fact]
    public void Scene_json_normalises_log_axes_to_the_unit_cube()
    {
        var json = Scatter3dScene.Json([0, 99, 9_999], [0, 0, 999_999], [0, 9, 0], [false, true, false]);
        using var doc = JsonDocument.Parse(json);
        var axes = doc.RootElement.GetProperty("axes");
        Assert.Equal(["src_bytes", "duration (s)", "dst_bytes"], axes.EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        var points = doc.RootElement.GetProperty("points").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        // src: 4 decades, so 99 (2 decades) sits at the middle; duration: 1 decade; dst: 6 decades.
        Assert.Equal([-1, -1, -1, 0], points[0]);
        Assert.Equal([0, 1, -1, 1], points[1]);
        Assert.Equal([1, -1, 1, 0], points[2]);
        Assert.Equal("1M", axes[2].GetProperty("ticks").EnumerateArray().Last()[1].GetString());
    }

    [Fact]
    public void Timeline_draws_spans_events_and_rows_for_unlisted_workers()
    {
        var t = new ClusterTimeline(["w1"],
            [new ShardSpan("w1", "shard-0", 0, 2, SpanOutcome.Completed, 1), new ShardSpan("w2", "shard-1", 0, 1, SpanOutcome.Failed, 1)],
            [new TimelineEvent(1, TimelineEventKind.WorkerLost, "w2", "no heartbeat <3s>"), new TimelineEvent(2.1, TimelineEventKind.IterationCompleted, null, "it 1")]);
        var svg = TimelineChart.Render("t", t);
        Assert.Equal(2, SvgBuilderTests.Occurrences(svg, "class=\"span span-"));
        Assert.Contains("span span-failed", svg);
        Assert.Contains(">w2</text>", svg);
        Assert.Contains("worker lost (w2) no heartbeat &lt;3s&gt;", svg);
        Assert.Contains("class=\"iteration-line\"", svg);
    }

    [Fact]
    public void Detection_chart_orders_labels_by_count_and_greys_the_normal_label()
    {
        var svg = DetectionChart.Render("d", [new LabelDetection("back.", 10, 10), new LabelDetection("normal.", 100, 3)], "normal.");
        Assert.True(svg.IndexOf(">normal.<", StringComparison.Ordinal) < svg.IndexOf(">back.<", StringComparison.Ordinal));
        Assert.Contains("bar s-false-alarm", svg);
        Assert.Contains("normal.: 3 of 100 flagged (3.00%)", svg);
        Assert.Contains("100.0% of 10", svg);
    }

    [Fact]
    public void Missing_matrix_merges_runs_of_missing_rows_into_one_gap()
    {
        var rows = Enumerable.Range(0, 10).Select(r => new[] { r is >= 2 and < 6, r == 9 }).ToArray();
        var svg = MissingMatrixChart.Render("m", new MissingValues(["a", "b"], 10, [4, 1]), rows);
        Assert.Equal(2, SvgBuilderTests.Occurrences(svg, "class=\"gap\""));
        Assert.Equal(2, SvgBuilderTests.Occurrences(svg, "class=\"present col\""));
        Assert.Contains("a: 4 missing of 10 (40.00%)", svg);
    }
}
