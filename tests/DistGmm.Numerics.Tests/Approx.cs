using Xunit;

namespace DistGmm.Numerics.Tests;

internal static class Approx
{
    /// <summary>|actual − expected| ≤ rel·max(|expected|, floor): relative, with a floor for entries near zero.</summary>
    public static void Relative(double expected, double actual, double rel, string what, double floor = 0)
    {
        double scale = Math.Max(Math.Abs(expected), floor);
        double err = Math.Abs(actual - expected);
        Assert.True(err <= rel * scale, $"{what}: expected {expected:R}, got {actual:R} (error {err:G3}, allowed {rel * scale:G3})");
    }

    public static void Relative(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, string what, double floor = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Relative(expected[i], actual[i], rel, $"{what}[{i}]", floor);
    }

    public static void Absolute(double expected, double actual, double tol, string what)
    {
        double err = Math.Abs(actual - expected);
        Assert.True(err <= tol, $"{what}: expected {expected:R}, got {actual:R} (error {err:G3}, allowed {tol:G3})");
    }

    public static double MaxAbs(IEnumerable<double> values) => values.Select(Math.Abs).DefaultIfEmpty(0).Max();
}
