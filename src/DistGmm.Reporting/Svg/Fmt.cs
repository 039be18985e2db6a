using System.Globalization;

namespace DistGmm.Reporting.Svg;

/// <summary>Invariant, deterministic number formatting for SVG coordinates and labels.</summary>
public static class Fmt
{
    /// <summary>Coordinate with at most 2 decimals; "-0" is normalised to "0" so output is byte-stable.</summary>
    public static string Coord(double v)
    {
        var r = Math.Round(v, 2);
        if (r == 0) r = 0;
        return r.ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>Integer with thousands separators: 4,898,431.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Fraction as a percentage with the given decimals: 0.1234 → "12.3%".</summary>
    public static string Percent(double fraction, int decimals = 1) =>
        (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";

    /// <summary>A metric value such as 0.9731 (4 decimals).</summary>
    public static string Metric(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>Short human number: 1.5k, 20M, 0.25, -1.2e-5.</summary>
    public static string Short(double v)
    {
        if (double.IsPositiveInfinity(v)) return "∞";
        if (double.IsNegativeInfinity(v)) return "-∞";
        if (double.IsNaN(v)) return "NaN";
        var a = Math.Abs(v);
        if (a == 0) return "0";
        if (a >= 1e4)
        {
            (double div, string suffix) = a >= 1e12 ? (1e12, "T") : a >= 1e9 ? (1e9, "G") : a >= 1e6 ? (1e6, "M") : (1e3, "k");
            return Trim(v / div, 2) + suffix;
        }

        if (a < 1e-3) return v.ToString("0.##e0", CultureInfo.InvariantCulture);
        return Trim(v, a >= 100 ? 1 : a >= 1 ? 2 : 3);
    }

    /// <summary>Tick label with just enough decimals for the tick step (0.2, 0.4 … not 0.20000000000000001).</summary>
    public static string Tick(double v, double step)
    {
        if (Math.Abs(v) >= 1e4 || (step >= 1e4)) return Short(v);
        var decimals = step >= 1 ? 0 : Math.Min(10, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        var r = Math.Round(v, decimals);
        if (r == 0) r = 0;
        return r.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static string Trim(double v, int decimals) =>
        Math.Round(v, decimals).ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture);
}
