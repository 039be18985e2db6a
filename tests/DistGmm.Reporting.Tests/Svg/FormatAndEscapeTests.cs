using DistGmm.Reporting.Svg;
using Xunit;

namespace DistGmm.Reporting.Tests.Svg;

public class FormatAndEscapeTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a < b & c > d", "a &lt; b &amp; c &gt; d")]
    [InlineData("say \"hi\" it's", "say &quot;hi&quot; it&#39;s")]
    [InlineData("</script><script>alert(1)</script>", "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("bell\u0007", "bell\uFFFD")]
    [InlineData("", "")]
    public void Escape_text_makes_any_string_safe_in_content_and_attributes(string input, string expected) =>
        Assert.Equal(expected, Escape.Text(input));

    [Theory]
    [InlineData(1.0 / 3, "0.33")]
    [InlineData(-0.001, "0")]
    [InlineData(12.5, "12.5")]
    [InlineData(100, "100")]
    public void Coordinates_have_at_most_two_decimals_and_no_negative_zero(double v, string expected) =>
        Assert.Equal(expected, Fmt.Coord(v));

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1500, "1500")]
    [InlineData(15_000, "15k")]
    [InlineData(2_500_000, "2.5M")]
    [InlineData(-4_000_000_000, "-4G")]
    [InlineData(0.25, "0.25")]
    [InlineData(-26.386, "-26.39")]
    [InlineData(0.00002, "2e-5")]
    [InlineData(double.NegativeInfinity, "-∞")]
    public void Short_numbers_read_well(double v, string expected) => Assert.Equal(expected, Fmt.Short(v));

    [Theory]
    [InlineData(0.6000000000000001, 0.2, "0.6")]
    [InlineData(0.05, 0.05, "0.05")]
    [InlineData(-20, 5, "-20")]
    [InlineData(200_000, 50_000, "200k")]
    public void Tick_labels_use_the_decimals_the_step_needs(double v, double step, string expected) =>
        Assert.Equal(expected, Fmt.Tick(v, step));

    [Fact]
    public void Counts_and_percentages_are_culture_invariant()
    {
        Assert.Equal("4,898,431", Fmt.Count(4_898_431));
        Assert.Equal("12.3%", Fmt.Percent(0.1234));
        Assert.Equal("0.9731", Fmt.Metric(0.97306));
    }
}
