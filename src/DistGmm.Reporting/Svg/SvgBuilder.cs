using System.Text;

namespace DistGmm.Reporting.Svg;

/// <summary>
/// Minimal SVG writer: every attribute value and text goes through <see cref="Escape"/>, every number through
/// <see cref="Fmt"/>, so output is valid and byte-for-byte deterministic.
/// </summary>
public sealed class SvgBuilder
{
    private readonly StringBuilder _sb = new();
    private int _depth;

    public SvgBuilder(double width, double height, string id, string ariaLabel, string? cssClass = null)
    {
        _sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"").Append(Escape.Text(id))
            .Append("\" class=\"chart").Append(cssClass is null ? "" : " " + Escape.Text(cssClass))
            .Append("\" viewBox=\"0 0 ").Append(Fmt.Coord(width)).Append(' ').Append(Fmt.Coord(height))
            .Append("\" width=\"").Append(Fmt.Coord(width)).Append("\" height=\"").Append(Fmt.Coord(height))
            .Append("\" role=\"img\" aria-label=\"").Append(Escape.Text(ariaLabel)).Append("\">");
        _depth = 1;
    }

    public SvgBuilder OpenGroup(string? cssClass = null, string? transform = null)
    {
        _sb.Append("<g");
        Attr("class", cssClass);
        Attr("transform", transform);
        _sb.Append('>');
        _depth++;
        return this;
    }

    public SvgBuilder CloseGroup()
    {
        if (_depth <= 1) throw new InvalidOperationException("No open group to close.");
        _sb.Append("</g>");
        _depth--;
        return this;
    }

    public SvgBuilder Line(double x1, double y1, double x2, double y2, string cssClass)
    {
        _sb.Append("<line x1=\"").Append(Fmt.Coord(x1)).Append("\" y1=\"").Append(Fmt.Coord(y1))
            .Append("\" x2=\"").Append(Fmt.Coord(x2)).Append("\" y2=\"").Append(Fmt.Coord(y2)).Append('"');
        Attr("class", cssClass);
        _sb.Append("/>");
        return this;
    }

    public SvgBuilder Rect(double x, double y, double width, double height, string cssClass, string? title = null, string? fill = null)
    {
        _sb.Append("<rect x=\"").Append(Fmt.Coord(x)).Append("\" y=\"").Append(Fmt.Coord(y))
            .Append("\" width=\"").Append(Fmt.Coord(Math.Max(0, width))).Append("\" height=\"")
            .Append(Fmt.Coord(Math.Max(0, height))).Append('"');
        Attr("class", cssClass);
        Attr("fill", fill);
        return CloseWithTitle("rect", title);
    }

    public SvgBuilder Circle(double cx, double cy, double r, string cssClass, string? title = null)
    {
        _sb.Append("<circle cx=\"").Append(Fmt.Coord(cx)).Append("\" cy=\"").Append(Fmt.Coord(cy))
            .Append("\" r=\"").Append(Fmt.Coord(r)).Append('"');
        Attr("class", cssClass);
        return CloseWithTitle("circle", title);
    }

    /// <summary>Open polyline through the points (one path, so thousands of points stay cheap).</summary>
    public SvgBuilder Polyline(IReadOnlyList<(double X, double Y)> points, string cssClass)
    {
        if (points.Count == 0) return this;
        _sb.Append("<path d=\"");
        for (var i = 0; i < points.Count; i++)
            _sb.Append(i == 0 ? 'M' : 'L').Append(Fmt.Coord(points[i].X)).Append(',').Append(Fmt.Coord(points[i].Y));
        _sb.Append('"');
        Attr("class", cssClass);
        _sb.Append("/>");
        return this;
    }

    public SvgBuilder Path(string d, string cssClass, string? title = null)
    {
        _sb.Append("<path d=\"").Append(Escape.Text(d)).Append('"');
        Attr("class", cssClass);
        return CloseWithTitle("path", title);
    }

    public SvgBuilder Text(double x, double y, string text, string cssClass, string anchor = "start", double rotate = 0)
    {
        _sb.Append("<text x=\"").Append(Fmt.Coord(x)).Append("\" y=\"").Append(Fmt.Coord(y)).Append('"');
        Attr("class", cssClass);
        if (anchor != "start") Attr("text-anchor", anchor);
        if (rotate != 0)
            Attr("transform", $"rotate({Fmt.Coord(rotate)} {Fmt.Coord(x)} {Fmt.Coord(y)})");
        _sb.Append('>').Append(Escape.Text(text)).Append("</text>");
        return this;
    }

    /// <summary>Raw markup from trusted builders in this assembly (already escaped).</summary>
    internal SvgBuilder Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    public override string ToString()
    {
        if (_depth != 1) throw new InvalidOperationException($"{_depth - 1} SVG group(s) left open.");
        return _sb.ToString() + "</svg>";
    }

    private void Attr(string name, string? value)
    {
        if (value is null) return;
        _sb.Append(' ').Append(name).Append("=\"").Append(Escape.Text(value)).Append('"');
    }

    private SvgBuilder CloseWithTitle(string element, string? title)
    {
        if (title is null)
        {
            _sb.Append("/>");
            return this;
        }

        _sb.Append("><title>").Append(Escape.Text(title)).Append("</title></").Append(element).Append('>');
        return this;
    }
}
