using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

public sealed record LineSeries(string Name, string CssClass, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Markers = true);

/// <summary>A vertical reference line, e.g. the selected K.</summary>
public sealed record VerticalMarker(double X, string Label);

/// <summary>Line chart with optional markers, a vertical reference line and a dashed diagonal (ROC chance line).</summary>
public static class LineChart
{
    public static string Render(string id, string ariaLabel, IReadOnlyList<LineSeries> series, string xTitle, string yTitle,
        PlotFrame? frame = null, VerticalMarker? marker = null, bool diagonal = false, (double Min, double Max)? fixedX = null,
        (double Min, double Max)? fixedY = null, bool integerX = false, bool legendLeft = false, bool legendBottom = false)
    {
        frame ??= new PlotFrame();
        var xs = series.SelectMany(s => s.X).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        var ys = series.SelectMany(s => s.Y).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        var x = fixedX is { } fx ? new LinearScale(fx.Min, fx.Max, frame.PlotLeft, frame.PlotRight)
            : LinearScale.Nice(xs.Min(), xs.Max(), frame.PlotLeft, frame.PlotRight, integerX ? Math.Min(8, (int)(xs.Max() - xs.Min()) + 1) : 6);
        var y = fixedY is { } fy ? new LinearScale(fy.Min, fy.Max, frame.PlotBottom, frame.PlotTop)
            : LinearScale.Nice(ys.Min(), ys.Max(), frame.PlotBottom, frame.PlotTop);
        var svg = new SvgBuilder(frame.Width, frame.Height, id, ariaLabel);
        frame.DrawAxes(svg, x, y, xTitle, yTitle);
        if (diagonal)
            svg.Line(x.Map(0), y.Map(0), x.Map(1), y.Map(1), "reference");
        if (marker is not null)
        {
            var mx = x.Map(marker.X);
            svg.Line(mx, frame.PlotTop, mx, frame.PlotBottom, "marker");
            svg.Text(mx + 4, frame.PlotTop + 12, marker.Label, "marker-label");
        }

        foreach (var s in series)
        {
            var pts = new List<(double, double)>(s.X.Count);
            for (var i = 0; i < s.X.Count; i++)
                if (double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i])) pts.Add((x.Map(s.X[i]), y.Map(s.Y[i])));
            svg.OpenGroup("series " + s.CssClass);
            svg.Polyline(pts, "line");
            if (s.Markers)
                for (var i = 0; i < s.X.Count; i++)
                    if (double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i]))
                        svg.Circle(x.Map(s.X[i]), y.Map(s.Y[i]), 3, "pt", $"{s.Name}: x = {Fmt.Short(s.X[i])}, y = {Fmt.Short(s.Y[i])}");
            svg.CloseGroup();
        }

        if (series.Count > 1 || series.Any(s => s.Name.Length > 0))
            frame.DrawLegend(svg, series.Select(s => (s.Name, s.CssClass)).ToArray(), legendLeft, legendBottom);
        return svg.ToString();
    }
}
