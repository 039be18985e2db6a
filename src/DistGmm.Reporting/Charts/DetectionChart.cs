using DistGmm.Numerics.Evaluation;
using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <summary>Horizontal bars: share of each label's records flagged anomalous (for the normal label: false alarms).</summary>
public static class DetectionChart
{
    public static string Render(string id, IReadOnlyList<LabelDetection> rows, string normalLabel)
    {
        var ordered = rows.OrderByDescending(r => r.Count).ThenBy(r => r.Label, StringComparer.Ordinal).ToArray();
        const double rowHeight = 22, top = 10, left = 110, right = 112;
        var height = top + Math.Max(1, ordered.Length) * rowHeight + 44;
        var frame = new PlotFrame(Width: 540, Height: height, Left: left, Right: right, Top: top, Bottom: 44);
        var x = new LinearScale(0, 1, frame.PlotLeft, frame.PlotRight, 5);
        var band = new BandScale(ordered.Length, frame.PlotTop, frame.PlotBottom, 0.25);
        var svg = new SvgBuilder(frame.Width, frame.Height, id, "Detection rate per label");
        svg.OpenGroup("axes");
        foreach (var t in x.Ticks())
        {
            var px = x.Map(t.Value);
            svg.Line(px, frame.PlotTop, px, frame.PlotBottom, "grid");
            svg.Text(px, frame.PlotBottom + 16, Fmt.Percent(t.Value, 0), "tick", "middle");
        }

        svg.Text((frame.PlotLeft + frame.PlotRight) / 2, height - 10, "records flagged as anomalous", "axis-title", "middle");
        svg.CloseGroup();
        svg.OpenGroup("bars");
        for (var i = 0; i < ordered.Length; i++)
        {
            var r = ordered[i];
            var isNormal = r.Label == normalLabel;
            svg.Text(left - 8, band.Center(i) + 4, r.Label, "row-label", "end");
            svg.Rect(frame.PlotLeft, band.Start(i), frame.PlotRight - frame.PlotLeft, band.Bandwidth, "bar-bg");
            svg.Rect(frame.PlotLeft, band.Start(i), x.Map(r.Rate) - frame.PlotLeft, band.Bandwidth,
                isNormal ? "bar s-false-alarm" : "bar s-detected",
                $"{r.Label}: {Fmt.Count(r.Detected)} of {Fmt.Count(r.Count)} flagged ({Fmt.Percent(r.Rate, 2)})");
            svg.Text(frame.PlotRight + 8, band.Center(i) + 4, $"{Fmt.Percent(r.Rate)} of {Fmt.Count(r.Count)}", "bar-value");
        }

        svg.CloseGroup();
        return svg.ToString();
    }
}
