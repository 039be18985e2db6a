using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <param name="Total">How many such records there are when only some are drawn; the legend then says "shown of total".</param>
public sealed record PointSeries(string Name, string CssClass, IReadOnlyList<double> X, IReadOnlyList<double> Y, long? Total = null);

/// <summary>2-D scatter on log(1 + x) axes (byte counts are heavy-tailed and often 0).</summary>
public static class ScatterChart
{
    public static string Render(string id, IReadOnlyList<PointSeries> series, string xTitle, string yTitle, PlotFrame? frame = null)
    {
        frame ??= new PlotFrame(Height: 460);
        var maxX = series.SelectMany(s => s.X).DefaultIfEmpty(1).Max();
        var maxY = series.SelectMany(s => s.Y).DefaultIfEmpty(1).Max();
        var x = new Log1pScale(maxX, frame.PlotLeft, frame.PlotRight);
        var y = new Log1pScale(maxY, frame.PlotBottom, frame.PlotTop);
        var svg = new SvgBuilder(frame.Width, frame.Height, id, $"Scatter plot of {yTitle} against {xTitle}");
        frame.DrawAxes(svg, x, y, xTitle + " (log scale)", yTitle + " (log scale)");
        // Series are drawn in the given order, so the rarer class passed last stays visible on top.
        foreach (var s in series)
        {
            svg.OpenGroup("points " + s.CssClass);
            for (var i = 0; i < s.X.Count; i++)
                svg.Circle(x.Map(s.X[i]), y.Map(s.Y[i]), 2.6, "pt");
            svg.CloseGroup();
        }

        frame.DrawLegend(svg, series.Select(s => (LegendLabel(s.Name, s.X.Count, s.Total), s.CssClass)).ToArray(), left: true);
        return svg.ToString();
    }

    /// <summary>"name (shown)", or "name (shown of total)" when not all are drawn.</summary>
    public static string LegendLabel(string name, long shown, long? total) =>
        total is { } t && t > shown ? $"{name} ({Fmt.Count(shown)} of {Fmt.Count(t)})" : $"{name} ({Fmt.Count(shown)})";
}
