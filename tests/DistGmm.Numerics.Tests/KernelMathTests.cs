using System.Runtime.Intrinsics;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>The kernel's inlined exp/log against Math.Exp/Math.Log: a few ulp over the ranges the E-step uses, and the edges.</summary>
public sealed class KernelMathTests
{
    private static double Ulps(double expected, double actual) =>
        Math.Abs(actual - expected) / (Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));

    [Fact]
    public void ExpIsWithinTwoUlpsOfMathExpFromMinus700To700()
    {
        var rng = new Random(9);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            double x = i < 100_000 ? -700 + 1400 * rng.NextDouble() : -1 + 2 * rng.NextDouble();
            var v = KernelMath.Exp(Vector256.Create(x, -x * 0.5, x * 1e-3, 0));
            worst = Math.Max(worst, Ulps(Math.Exp(x), v[0]));
            worst = Math.Max(worst, Ulps(Math.Exp(-x * 0.5), v[1]));
            worst = Math.Max(worst, Ulps(Math.Exp(x * 1e-3), v[2]));
            Assert.Equal(1.0, v[3]);
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Fact]
    public void ExpEdges()
    {
        var v = KernelMath.Exp(Vector256.Create(700.5, double.PositiveInfinity, double.NaN, -600));
        Assert.Equal(double.PositiveInfinity, v[0]);
        Assert.Equal(double.PositiveInfinity, v[1]);
        Assert.True(double.IsNaN(v[2]));
        Assert.Equal(Math.Exp(-600), v[3], 1e-15 * Math.Exp(-600));
    }

    [Fact]
    public void LogIsWithinTwoUlpsOfMathLogFromOneToLarge()
    {
        var rng = new Random(10);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            double s = i % 2 == 0 ? 1 + 16 * rng.NextDouble() : Math.Exp(700 * rng.NextDouble());
            var v = KernelMath.LogAtLeastOne(Vector256.Create(s, 1.0, Math.Sqrt(2), 2.0));
            worst = Math.Max(worst, Ulps(Math.Log(s), v[0]));
            Assert.Equal(0.0, v[1]);
            worst = Math.Max(worst, Ulps(Math.Log(Math.Sqrt(2)), v[2]));
            worst = Math.Max(worst, Ulps(Math.Log(2.0), v[3]));
        }
        // Just above 1 the result is tiny: compare relatively.
        for (int i = 1; i < 1000; i++)
        {
            double s = 1 + i * 1e-13;
            worst = Math.Max(worst, Ulps(Math.Log(s), KernelMath.LogAtLeastOne(Vector256.Create(s))[0]));
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Fact]
    public void LogOutsideItsRangeFallsBackToMathLogLaneByLane()
    {
        var v = KernelMath.LogAtLeastOne(Vector256.Create(0.0, 0.5, double.NaN, double.PositiveInfinity));
        Assert.Equal(double.NegativeInfinity, v[0]);
        Assert.Equal(Math.Log(0.5), v[1], 1e-15);
        Assert.True(double.IsNaN(v[2]));
        Assert.Equal(double.PositiveInfinity, v[3]);
        // The in-range neighbour of an out-of-range lane keeps the kernel's own log (no lane depends on another).
        var mixed = KernelMath.LogAtLeastOne(Vector256.Create(double.NaN, 3.0, 3.0, 3.0));
        Assert.Equal(KernelMath.LogAtLeastOne(Vector256.Create(3.0))[0], mixed[1]);
    }

    [Fact]
    public void The128And256BitFormulasGiveTheSameBitsPerLane()
    {
        var rng = new Random(11);
        for (int i = 0; i < 100_000; i++)
        {
            double x = -700 + 1400 * rng.NextDouble(), s = i % 2 == 0 ? 1 + 16 * rng.NextDouble() : Math.Exp(700 * rng.NextDouble());
            var e4 = KernelMath.Exp(Vector256.Create(x, -x, x * 1e-3, 0));
            var e2 = KernelMath.Exp(Vector128.Create(x, -x));
            Assert.Equal(BitConverter.DoubleToInt64Bits(e4[0]), BitConverter.DoubleToInt64Bits(e2[0]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(e4[1]), BitConverter.DoubleToInt64Bits(e2[1]));
            var l4 = KernelMath.LogAtLeastOne(Vector256.Create(s, 1.5, s * 2, 7));
            var l2 = KernelMath.LogAtLeastOne(Vector128.Create(s, s * 2));
            Assert.Equal(BitConverter.DoubleToInt64Bits(l4[0]), BitConverter.DoubleToInt64Bits(l2[0]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(l4[2]), BitConverter.DoubleToInt64Bits(l2[1]));
        }
    }
}
