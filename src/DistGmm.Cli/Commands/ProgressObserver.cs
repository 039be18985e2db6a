using System.Diagnostics;
using DistGmm.Cli.Console;
using DistGmm.Cluster;

namespace DistGmm.Cli.Commands;

/// <summary>Job events as progress lines: every EM iteration (lower bound, Δ, time, ETA), scoring, failures.</summary>
internal sealed class ProgressObserver(Terminal terminal, int maxIter) : IJobObserver
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Stopwatch? _scoring;

    public void OnEvent(JobEvent e)
    {
        switch (e)
        {
            case IterationCompleted it:
                // EM stops at tol or max-iter: the ETA is an upper bound.
                var eta = maxIter > 0 && it.Iteration < maxIter ? Format.Eta(_clock.Elapsed, (double)it.Iteration / maxIter).Replace("ETA", "ETA ≤") : "";
                terminal.Line($"train: K={it.K} iteration {it.Iteration,3}  lower bound {Format.Number(it.LowerBound, 10),-14}"
                    + (it.Delta is { } d ? $"  Δ {d:E2}" : "             ") + $"  {it.Elapsed.TotalMilliseconds,6:F0} ms  {eta}");
                break;
            case StageChanged { Stage: "scoring" } stage:
                _scoring = Stopwatch.StartNew();
                terminal.Line(stage.Describe());
                break;
            case ScoringProgress p:
                var elapsed = (_scoring ?? _clock).Elapsed;
                terminal.Line($"score: {p.ShardsDone}/{p.ShardsTotal} shards {Format.Eta(elapsed, (double)p.ShardsDone / Math.Max(1, p.ShardsTotal))}");
                break;
            case ShardsAssigned or ShardsLoaded or CandidateFitted or ThresholdSet or WorkerFailed or WorkerRecovered or StageChanged:
                terminal.Line(e.Describe());
                break;
        }
    }
}
