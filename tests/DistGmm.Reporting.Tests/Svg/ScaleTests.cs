using DistGmm.Reporting.Svg;
using Xunit;

namespace DistGmm.Reporting.Tests.Svg;

public class ScaleTests
{
    [Theory]
    [InlineData(0, 1, 5, 0.2)]
    [InlineData(0, 10, 5, 2)]
    [InlineData(0, 100, 10, 10)]
    [InlineData(-23, -16, 5, 1)]
    [InlineData(0, 1e6, 5, 2e5)]
    [InlineData(0, 0.003, 5, 5e-4)]
    public void Nice_steps_are_one_two_or_five_times_a_power_of_ten(double min, double max, int count, double expected) =>
        Assert.Equal(expected, TickMath.NiceStep(min, max, count), 1e-15);

    [Fact]
    public void Tick_values_are_exact_multiples_without_float_drift()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], TickMath.Values(0, 1, 0.2));
        Assert.Equal([0.3, 0.4], TickMath.Values(0.25, 0.45, 0.1)); // 3 × 0.1 would be 0.30000000000000004
    }

    [Fact]
    public void Nice_linear_scale_widens_domain_to_round_ticks_and_maps_linearly()
    {
        var s = LinearScale.Nice(-22.4, -16.02, 0, 100);
        Assert.Equal(-23, s.DomainMin);
        Assert.Equal(-16, s.DomainMax);
        Assert.Equal(0, s.Map(-23));
        Assert.Equal(100, s.Map(-16));
        Assert.Equal(50, s.Map(-19.5), 1e-12);
        Assert.Equal(["-23", "-22", "-21", "-20", "-19", "-18", "-17", "-16"], s.Ticks().Select(t => t.Label));
    }

    [Fact]
    public void Inverted_pixel_range_puts_larger_values_higher_on_screen()
    {
        var y = new LinearScale(0, 10, 300, 20);
        Assert.Equal(300, y.Map(0));
        Assert.Equal(20, y.Map(10));
    }

    [Fact]
    public void Degenerate_domain_gets_a_visible_span()
    {
        var s = LinearScale.Nice(5, 5, 0, 100);
        Assert.True(s.DomainMin < 5 && s.DomainMax > 5);
        Assert.Equal(50, s.Map(5), 1e-9);
    }

    [Fact]
    public void Log1p_scale_maps_zero_to_the_origin_and_decades_evenly()
    {
        var s = new Log1pScale(999_999, 0, 600); // top decade: log10(1e6) = 6
        Assert.Equal(0, s.Map(0));
        Assert.Equal(600, s.Map(999_999), 1e-9);
        Assert.Equal(300, s.Map(999), 1e-9); // log10(1000) = 3 of 6 decades
        Assert.Equal(0, s.Map(-5)); // negative counts clamp to 0
        Assert.Equal(["0", "1", "10", "100", "1000", "10k", "100k", "1M"], s.Ticks().Select(t => t.Label));
    }

    [Fact]
    public void Log1p_ticks_thin_out_for_many_decades()
    {
        var labels = new Log1pScale(1e12, 0, 600).Ticks().Select(t => t.Label).ToArray();
        Assert.Equal(["0", "1", "100", "10k", "1M", "100M", "10G", "1T"], labels);
    }

    [Fact]
    public void Band_scale_splits_the_range_into_equal_padded_bands()
    {
        var b = new BandScale(4, 0, 400, 0.2);
        Assert.Equal(100, b.Step);
        Assert.Equal(80, b.Bandwidth);
        Assert.Equal(10, b.Start(0));
        Assert.Equal(350, b.Center(3));
    }
}
