using System.Globalization;
using System.Text.RegularExpressions;
using DistGmm.Reporting.Charts;
using Xunit;

namespace DistGmm.Reporting.Tests.Svg;

public class TimelineChartTests
{
    [Fact]
    public void Every_iteration_gets_a_line_but_labels_never_overlap()
    {
        // 50 iterations in one second: far more than fit as labels across 1080 px.
        var events = Enumerable.Range(1, 50).Select(i => new TimelineEvent(i / 50.0, TimelineEventKind.IterationCompleted, null, $"it {i}")).ToList();
        var svg = TimelineChart.Render("t", new ClusterTimeline(["worker-0"], [new ShardSpan("worker-0", "shards 0-7", 0, 1, SpanOutcome.Completed)], events));

        Assert.Equal(50, SvgBuilderTests.Occurrences(svg, "class=\"iteration-line\""));
        var labels = Regex.Matches(svg, "<text x=\"([\\d.]+)\"[^>]*class=\"iteration-label\"[^>]*>([^<]+)</text>")
            .Select(m => (X: double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Text: m.Groups[2].Value)).ToList();
        Assert.InRange(labels.Count, 5, 49);
        Assert.Equal("it 1", labels[0].Text);
        Assert.All(labels.Zip(labels.Skip(1)), p => Assert.True(p.Second.X - p.First.X >= p.First.Text.Length * 5.5, $"{p.First} overlaps {p.Second}"));
    }

    [Fact]
    public void Job_stages_are_lines_with_labels_that_stay_inside_the_picture()
    {
        var svg = TimelineChart.Render("t", new ClusterTimeline(["worker-0"], [new ShardSpan("worker-0", "shard 0", 0, 10, SpanOutcome.Completed)],
            [new TimelineEvent(0, TimelineEventKind.JobStage, null, "train started"), new TimelineEvent(10, TimelineEventKind.JobStage, null, "score finished")]));
        Assert.Equal(2, SvgBuilderTests.Occurrences(svg, "class=\"stage-line\""));
        Assert.Contains("<title>10 s: score finished</title>", svg);
        Assert.Matches("text-anchor=\"end\"[^>]*class=\"stage-label\"[^>]*>score finished<|class=\"stage-label\"[^>]*text-anchor=\"end\"[^>]*>score finished<", svg);
        Assert.DoesNotContain("event-job-stage", svg); // stages are lines, not point markers
    }

    [Theory]
    [InlineData(TimelineEventKind.WorkerUnreachable, "event-worker-unreachable")]
    [InlineData(TimelineEventKind.WorkerRecovered, "event-worker-recovered")]
    [InlineData(TimelineEventKind.ShardsRecovered, "event-shards-recomputed")]
    [InlineData(TimelineEventKind.ChaosInjected, "event-fault-injected")]
    [InlineData(TimelineEventKind.WaitingForWorkers, "event-waiting-for-workers")]
    [InlineData(TimelineEventKind.JobResumed, "event-job-resumed")]
    public void Membership_and_recovery_events_have_their_own_marker_and_style(TimelineEventKind kind, string cssClass)
    {
        var timeline = new ClusterTimeline(["worker-0"], [], [new TimelineEvent(1, kind, "worker-0", "why")]);
        var svg = TimelineChart.Render("t", timeline);
        Assert.Equal(1, SvgBuilderTests.Occurrences(svg, $"class=\"event {cssClass}\""));
        var html = ReportWriter.Render(new ReportData { Title = "t", Timeline = timeline });
        Assert.Contains("." + cssClass, html[..html.IndexOf("</style>", StringComparison.Ordinal)]);
        Assert.Contains($"1 s: {TimelineChart.Describe(kind)} (worker-0) why", svg);
    }
}
