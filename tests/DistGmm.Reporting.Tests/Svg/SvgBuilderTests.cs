using DistGmm.Reporting.Charts;
using DistGmm.Reporting.Svg;
using Xunit;

namespace DistGmm.Reporting.Tests.Svg;

public class SvgBuilderTests
{
    [Fact]
    public void Elements_are_written_with_escaped_text_and_rounded_numbers()
    {
        var svg = new SvgBuilder(100, 50, "c<1>", "a \"chart\"");
        svg.OpenGroup("g1").Circle(1.234, 5.678, 2, "pt", "x < 3 & y").Text(10, 20, "<b>", "lbl", "middle").CloseGroup();
        Assert.Equal(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"c&lt;1&gt;\" class=\"chart\" viewBox=\"0 0 100 50\" width=\"100\" height=\"50\" role=\"img\" aria-label=\"a &quot;chart&quot;\">"
            + "<g class=\"g1\"><circle cx=\"1.23\" cy=\"5.68\" r=\"2\" class=\"pt\"><title>x &lt; 3 &amp; y</title></circle>"
            + "<text x=\"10\" y=\"20\" class=\"lbl\" text-anchor=\"middle\">&lt;b&gt;</text></g></svg>",
            svg.ToString());
    }

    [Fact]
    public void Polyline_is_one_path_and_unbalanced_groups_are_caught()
    {
        var svg = new SvgBuilder(10, 10, "p", "p");
        svg.Polyline([(0, 0), (1.5, 2), (3, 4.444)], "line");
        Assert.Contains("<path d=\"M0,0L1.5,2L3,4.44\" class=\"line\"/>", svg.ToString());
        var open = new SvgBuilder(10, 10, "q", "q").OpenGroup();
        Assert.Throws<InvalidOperationException>(() => open.ToString());
        Assert.Throws<InvalidOperationException>(() => new SvgBuilder(10, 10, "r", "r").CloseGroup());
    }

    [Fact]
    public void Negative_sizes_become_zero()
    {
        var svg = new SvgBuilder(10, 10, "n", "n").Rect(5, 5, -3, 2, "r").ToString();
        Assert.Contains("width=\"0\" height=\"2\"", svg);
    }

    [Fact]
    public void Scatter_draws_one_circle_per_point_in_series_order()
    {
        var svg = ScatterChart.Render("s", [new PointSeries("normal", "s-normal", [0, 10, 100], [5, 50, 500]), new PointSeries("anomaly", "s-anomaly", [1e6], [0])], "x", "y");
        Assert.Equal(4, Occurrences(svg, "<circle"));
        Assert.True(svg.IndexOf("s-normal", StringComparison.Ordinal) < svg.IndexOf("points s-anomaly", StringComparison.Ordinal));
        Assert.Contains("anomaly (1)", svg);
    }

    [Fact]
    public void Line_chart_skips_non_finite_points()
    {
        var svg = LineChart.Render("l", "l", [new LineSeries("lb", "s-lb", [1, 2, 3], [-5, double.NegativeInfinity, -4])], "it", "lb");
        Assert.Equal(2, Occurrences(svg, "<circle"));
    }

    internal static int Occurrences(string s, string what)
    {
        var n = 0;
        for (var i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
