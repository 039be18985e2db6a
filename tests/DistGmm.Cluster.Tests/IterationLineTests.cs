using DistGmm.Cluster;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>The events.log iteration line, as `bench` reads a coordinator process's iterations back from it.</summary>
public class IterationLineTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_iteration_line_reads_back_with_its_time_to_a_tenth_of_a_millisecond()
    {
        var e = new IterationCompleted(At, 2, 3, 137.67888622349133, -1.2345678e-3, TimeSpan.FromTicks(482_631));
        var text = e.Describe();
        Assert.Equal("K=2 iteration 3: lower bound 137.67888622349133, delta -1.235E-003, 48.3 ms", text);
        var read = IterationCompleted.Parse(At, text)!;
        Assert.Equal(e with { Delta = -1.235e-3, Elapsed = TimeSpan.FromMilliseconds(48.3) }, read);
    }

    [Fact]
    public void The_first_iteration_has_no_delta_and_other_lines_are_not_iterations()
    {
        var first = new IterationCompleted(At, 8, 1, -5.5e-7, null, TimeSpan.FromSeconds(1.25));
        Assert.Equal(first, IterationCompleted.Parse(At, first.Describe()));
        Assert.Null(IterationCompleted.Parse(At, "pass 3 timed: 50.1 ms from commands to last result; 2 worker(s) busy 47.0–48.8 ms"));
        Assert.Null(IterationCompleted.Parse(At, "K=2 fitted: 12 iterations, converged=True, lower bound 1.5, BIC 2.5"));
    }
}
