using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <summary>Score histogram (counts on a log scale) with the anomaly threshold as a vertical line.</summary>
public static class HistogramChart
{
    /// <param name="classNames">Names of the two classes binned separately (e.g. actual normal/attack, or not flagged/flagged).</param>
    public static string Render(string id, HistogramBins bins, double threshold, (string Normal, string Anomaly) classNames, string xTitle, PlotFrame? frame = null)
    {
        frame ??= new PlotFrame(Width: 1080, Height: 360);
        var x = LinearScale.Nice(bins.Edges[0], bins.Edges[^1], frame.PlotLeft, frame.PlotRight, 8);
        var maxCount = Math.Max(bins.NormalCounts.DefaultIfEmpty(0).Max(), bins.AnomalyCounts.DefaultIfEmpty(0).Max());
        var y = new Log1pScale(maxCount, frame.PlotBottom, frame.PlotTop);
        var svg = new SvgBuilder(frame.Width, frame.Height, id, "Histogram of scores with the anomaly threshold");
        frame.DrawAxes(svg, x, y, xTitle, "records (log scale)");
        DrawBars(svg, bins, bins.NormalCounts, classNames.Normal, "bar s-normal", x, y);
        DrawBars(svg, bins, bins.AnomalyCounts, classNames.Anomaly, "bar s-anomaly", x, y);
        var tx = x.Map(threshold);
        svg.Line(tx, frame.PlotTop, tx, frame.PlotBottom, "threshold");
        var rightSide = tx < (frame.PlotLeft + frame.PlotRight) / 2;
        svg.Text(rightSide ? tx + 5 : tx - 5, frame.PlotTop + 12, $"threshold {Fmt.Short(threshold)}", "threshold-label",
            rightSide ? "start" : "end");
        frame.DrawLegend(svg, [(classNames.Normal, "s-normal"), (classNames.Anomaly, "s-anomaly"), ("threshold", "s-threshold")], left: !rightSide);
        return svg.ToString();
    }

    private static void DrawBars(SvgBuilder svg, HistogramBins bins, long[] counts, string name, string cssClass, IScale x, IScale y)
    {
        svg.OpenGroup("bars");
        var baseY = y.Map(0);
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0) continue;
            var x0 = x.Map(bins.Edges[i]);
            var x1 = x.Map(bins.Edges[i + 1]);
            var top = y.Map(counts[i]);
            svg.Rect(x0 + 0.5, top, x1 - x0 - 1, baseY - top, cssClass,
                $"{name}: {Fmt.Count(counts[i])} in [{Fmt.Short(bins.Edges[i])}, {Fmt.Short(bins.Edges[i + 1])})");
        }

        svg.CloseGroup();
    }
}
