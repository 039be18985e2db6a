using DistGmm.Cluster;
using Xunit;

namespace DistGmm.Cluster.Tests;

public sealed class AnomalyExplanationFormatTests
{
    [Theory]
    [InlineData(11.114, "+11.11")]
    [InlineData(-0.5, "-0.50")]
    [InlineData(999_999.994, "+999999.99")]
    [InlineData(4.2504499e305, "+4.25E+305")]
    [InlineData(-1.5e7, "-1.50E+7")]
    public void A_standardised_residual_is_two_decimals_or_scientific_past_a_million(double z, string text) =>
        Assert.Equal(text, AnomalyExplanations.FormatZ(z));
}
