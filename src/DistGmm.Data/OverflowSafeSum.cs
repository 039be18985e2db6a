namespace DistGmm.Data;

/// <summary>
/// A running sum of finite doubles whose mean stays finite (two values of 1e308 overflow a plain sum). It is the plain
/// sum, bit for bit, until a batch would make it infinite; from then on it is kept scaled by 2^-600. Scaling by a power
/// of two is exact, so only values under ~1e-127 lose bits, and those are negligible beside the ones that overflowed.
/// </summary>
internal struct OverflowSafeSum
{
    /// <summary>The scale: 2^-600 leaves 2^424 of headroom per value, room for 2^63 values of up to double.MaxValue.</summary>
    internal static readonly double Down = Math.ScaleB(1.0, -600);

    private double _sum;
    private bool _scaled;

    /// <summary>Where a caller's own loop continues the plain sum before <see cref="Commit"/>.</summary>
    public readonly double Running => _scaled ? 0 : _sum;

    /// <summary>
    /// Takes <paramref name="running"/> (<see cref="Running"/> plus the non-NaN <c>values[rows]</c> in order) when it is
    /// finite; otherwise adds those values again, scaled.
    /// </summary>
    public void Commit(double running, double[] values, ReadOnlySpan<int> rows)
    {
        if (!_scaled && double.IsFinite(running)) { _sum = running; return; }
        StartScaling();
        foreach (var r in rows)
            if (!double.IsNaN(values[r])) _sum += values[r] * Down;
    }

    /// <summary>Adds <paramref name="partial"/>, the sum of the non-NaN <paramref name="values"/>, or those values scaled.</summary>
    public void AddPartial(double partial, ReadOnlySpan<double> values)
    {
        if (!_scaled && double.IsFinite(_sum + partial)) { _sum += partial; return; }
        StartScaling();
        var scaled = 0.0;
        foreach (var v in values)
            if (!double.IsNaN(v)) scaled += v * Down;
        _sum += scaled;
    }

    /// <summary>The mean of <paramref name="count"/> values (the plain sum / count while nothing overflowed).</summary>
    public readonly double Mean(long count) =>
        _scaled ? Math.Clamp(_sum / count / Down, -double.MaxValue, double.MaxValue) : _sum / count;

    private void StartScaling()
    {
        if (_scaled) return;
        _scaled = true;
        _sum *= Down;
    }
}
