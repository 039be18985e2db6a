using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <summary>Size and margins of a chart; the plot area is what is left inside the margins.</summary>
public sealed record PlotFrame(double Width = 540, double Height = 340, double Left = 64, double Right = 20, double Top = 16, double Bottom = 52)
{
    public double PlotLeft => Left;
    public double PlotRight => Width - Right;
    public double PlotTop => Top;
    public double PlotBottom => Height - Bottom;

    /// <summary>Grid lines, ticks, tick labels and axis titles.</summary>
    public void DrawAxes(SvgBuilder svg, IScale x, IScale y, string xTitle, string yTitle)
    {
        svg.OpenGroup("axes");
        foreach (var t in y.Ticks())
        {
            var py = y.Map(t.Value);
            if (py < PlotTop - 0.5 || py > PlotBottom + 0.5) continue;
            svg.Line(PlotLeft, py, PlotRight, py, "grid");
            svg.Text(PlotLeft - 6, py + 4, t.Label, "tick", "end");
        }

        foreach (var t in x.Ticks())
        {
            var px = x.Map(t.Value);
            if (px < PlotLeft - 0.5 || px > PlotRight + 0.5) continue;
            svg.Line(px, PlotTop, px, PlotBottom, "grid");
            svg.Text(px, PlotBottom + 16, t.Label, "tick", "middle");
        }

        svg.Line(PlotLeft, PlotBottom, PlotRight, PlotBottom, "axis");
        svg.Line(PlotLeft, PlotTop, PlotLeft, PlotBottom, "axis");
        svg.Text((PlotLeft + PlotRight) / 2, Height - 10, xTitle, "axis-title", "middle");
        svg.Text(16, (PlotTop + PlotBottom) / 2, yTitle, "axis-title", "middle", -90);
        svg.CloseGroup();
    }

    /// <summary>Legend in a corner of the plot area (top-right unless told); cssClass styles the swatch.</summary>
    public void DrawLegend(SvgBuilder svg, IReadOnlyList<(string Label, string CssClass)> entries, bool left = false, bool bottom = false)
    {
        if (entries.Count == 0) return;
        var widest = entries.Max(e => e.Label.Length);
        var boxWidth = 26 + widest * 6.2;
        var boxHeight = entries.Count * 18 + 8;
        var x = left ? PlotLeft + 8 : PlotRight - boxWidth - 8;
        var y = bottom ? PlotBottom - boxHeight - 8 : PlotTop + 8;
        svg.OpenGroup("legend");
        svg.Rect(x, y, boxWidth, boxHeight, "legend-box");
        for (var i = 0; i < entries.Count; i++)
        {
            var ey = y + 13 + i * 18;
            svg.Rect(x + 8, ey - 8, 10, 10, "swatch " + entries[i].CssClass);
            svg.Text(x + 24, ey + 1, entries[i].Label, "legend-text");
        }

        svg.CloseGroup();
    }
}
