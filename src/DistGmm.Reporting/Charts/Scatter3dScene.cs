using System.Globalization;
using System.Text;
using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <summary>
/// Data for the rotatable 3-D scatter: coordinates on log10(1 + x) axes normalised to [-1, 1], as compact JSON
/// that the inline script projects and redraws while the reader drags. Axis order: x = src_bytes,
/// y (up) = duration, z = dst_bytes (or the three columns named).
/// </summary>
public static class Scatter3dScene
{
    public static string Json(IReadOnlyList<double> src, IReadOnlyList<double> dst, IReadOnlyList<double> duration, IReadOnlyList<bool> anomaly,
        string srcName = "src_bytes", string dstName = "dst_bytes", string durationName = "duration (s)")
    {
        var axes = new[]
        {
            new Axis(srcName, src),
            new Axis(durationName, duration),
            new Axis(dstName, dst),
        };
        var sb = new StringBuilder();
        sb.Append("{\"axes\":[");
        for (var a = 0; a < axes.Length; a++)
        {
            if (a > 0) sb.Append(',');
            sb.Append("{\"name\":\"").Append(JsonText(axes[a].Name)).Append("\",\"ticks\":[");
            var ticks = axes[a].Ticks();
            for (var t = 0; t < ticks.Count; t++)
            {
                if (t > 0) sb.Append(',');
                sb.Append('[').Append(Num(ticks[t].Position)).Append(",\"").Append(JsonText(ticks[t].Label)).Append("\"]");
            }

            sb.Append("]}");
        }

        sb.Append("],\"points\":[");
        for (var i = 0; i < src.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append('[').Append(Num(axes[0].Normalise(src[i]))).Append(',').Append(Num(axes[1].Normalise(duration[i])))
                .Append(',').Append(Num(axes[2].Normalise(dst[i]))).Append(',').Append(anomaly[i] ? '1' : '0').Append(']');
        }

        sb.Append("]}");
        return sb.ToString();
    }

    private static string Num(double v)
    {
        var r = Math.Round(v, 3);
        if (r == 0) r = 0;
        return r.ToString("0.###", CultureInfo.InvariantCulture);
    }

    // Axis names may be a data file's column names, and the JSON sits inside a <script> element: escape.
    private static string JsonText(string s) =>
        s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("<", "\\u003c").Replace(">", "\\u003e").Replace("&", "\\u0026");

    private sealed class Axis(string name, IReadOnlyList<double> values)
    {
        public string Name { get; } = name;

        private readonly double _top = Math.Max(1, Math.Ceiling(Math.Log10(1 + values.DefaultIfEmpty(0).Max(v => Math.Max(0, v)))));

        public double Normalise(double v) => 2 * Math.Log10(1 + Math.Max(0, v)) / _top - 1;

        public IReadOnlyList<(double Position, string Label)> Ticks()
        {
            var every = _top <= 4 ? 1 : _top <= 8 ? 2 : 3;
            var ticks = new List<(double, string)> { (-1, "0") };
            for (var k = every; k <= _top; k += every)
                ticks.Add((Normalise(Math.Pow(10, k)), Fmt.Short(Math.Pow(10, k))));
            return ticks;
        }
    }
}
