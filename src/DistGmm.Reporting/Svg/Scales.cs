namespace DistGmm.Reporting.Svg;

public readonly record struct Tick(double Value, string Label);

/// <summary>Maps data values to pixels and proposes axis ticks.</summary>
public interface IScale
{
    double Map(double value);

    IReadOnlyList<Tick> Ticks();
}

/// <summary>Linear scale; <see cref="Nice"/> widens the domain to round tick values (1, 2, 5 × 10ᵏ steps).</summary>
public sealed class LinearScale(double domainMin, double domainMax, double rangeMin, double rangeMax, int tickCount = 5) : IScale
{
    public double DomainMin { get; } = domainMin;
    public double DomainMax { get; } = domainMax;

    public static LinearScale Nice(double min, double max, double rangeMin, double rangeMax, int tickCount = 5)
    {
        (min, max) = Padded(min, max);
        var step = TickMath.NiceStep(min, max, tickCount);
        return new LinearScale(Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, rangeMin, rangeMax, tickCount);
    }

    public double Map(double value)
    {
        var span = DomainMax - DomainMin;
        var t = span == 0 ? 0.5 : (value - DomainMin) / span;
        return rangeMin + t * (rangeMax - rangeMin);
    }

    public IReadOnlyList<Tick> Ticks()
    {
        var step = TickMath.NiceStep(DomainMin, DomainMax, tickCount);
        return TickMath.Values(DomainMin, DomainMax, step).Select(v => new Tick(v, Fmt.Tick(v, step))).ToArray();
    }

    // A degenerate domain (all values equal) still gets a visible span.
    private static (double, double) Padded(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return (0, 1);
        if (max > min) return (min, max);
        var pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
        return (min - pad, max + pad);
    }
}

/// <summary>
/// Log scale on log10(1 + x) for non-negative counts such as byte counts, which are often 0 (plain log would drop them).
/// Ticks sit at 0 and powers of ten.
/// </summary>
public sealed class Log1pScale(double domainMax, double rangeMin, double rangeMax) : IScale
{
    public double DomainMax { get; } = Math.Max(domainMax, 9);

    // The tolerance keeps 1e12 at 12 decades although log10(1 + 1e12) is a hair above 12.
    private double TopDecade => Math.Ceiling(Math.Log10(1 + DomainMax) - 1e-9);

    public double Map(double value)
    {
        var t = Math.Log10(1 + Math.Max(0, value)) / TopDecade;
        return rangeMin + t * (rangeMax - rangeMin);
    }

    public IReadOnlyList<Tick> Ticks()
    {
        var top = (int)TopDecade;
        var every = top <= 6 ? 1 : (top + 5) / 6; // at most ~7 labels
        var ticks = new List<Tick> { new(0, "0") };
        for (var k = 0; k <= top; k += every)
        {
            var v = Math.Pow(10, k);
            ticks.Add(new Tick(v, Fmt.Short(v)));
        }

        return ticks;
    }
}

/// <summary>Evenly spaced bands for categories (bars, matrix cells).</summary>
public sealed class BandScale(int count, double rangeMin, double rangeMax, double paddingFraction = 0.15)
{
    public double Step => (rangeMax - rangeMin) / Math.Max(1, count);

    public double Bandwidth => Step * (1 - paddingFraction);

    public double Start(int index) => rangeMin + index * Step + Step * paddingFraction / 2;

    public double Center(int index) => Start(index) + Bandwidth / 2;
}

public static class TickMath
{
    /// <summary>A step of 1, 2 or 5 × 10ᵏ giving about <paramref name="count"/> intervals over [min, max].</summary>
    public static double NiceStep(double min, double max, int count)
    {
        var span = max - min;
        if (!(span > 0) || !double.IsFinite(span)) return 1;
        var raw = span / Math.Max(1, count);
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var err = raw / mag;
        var factor = err >= Math.Sqrt(50) ? 10 : err >= Math.Sqrt(10) ? 5 : err >= Math.Sqrt(2) ? 2 : 1;
        return factor * mag;
    }

    /// <summary>Multiples of <paramref name="step"/> inside [min, max], computed from integers to avoid drift.</summary>
    public static IReadOnlyList<double> Values(double min, double max, double step)
    {
        var first = (long)Math.Ceiling(min / step - 1e-9);
        var last = (long)Math.Floor(max / step + 1e-9);
        var values = new List<double>();
        for (var i = first; i <= last && values.Count < 1000; i++)
            values.Add(step < 1 ? i / Math.Round(1 / step) : i * step);
        return values;
    }
}
