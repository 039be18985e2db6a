using System.Diagnostics;
using DistGmm.Cli.Console;
using DistGmm.Cluster;

namespace DistGmm.Cli.Commands;

/// <summary>
/// Job progress: on a terminal, a live bar per EM fit (iteration, lower bound, Δ, time per iteration; elapsed and ETA)
/// and one for scoring, with notable events printed above them; otherwise one plain line per iteration (with an ETA),
/// per scored shard and per event.
/// </summary>
internal sealed class ProgressObserver(Terminal terminal, int maxIter) : IJobObserver
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly IterationPace _iterations = new();
    private Stopwatch? _scoring;
    private int _shards;

    public void OnEvent(JobEvent e)
    {
        // Actor threads may overlap (a failure callback and the coordinator): keep each event's output together.
        lock (_gate)
        {
            if (terminal.Interactive) Rich(e);
            else Plain(e);
        }
    }

    private void Plain(JobEvent e)
    {
        switch (e)
        {
            case IterationCompleted it:
                // EM stops at tol or max-iter: the ETA is an upper bound. From the iterations' own times: the clock also
                // counted ingest, preprocessing and loading, and the first iteration carries the initialisation.
                var eta = maxIter > 0 && it.Iteration < maxIter
                    ? Format.Remaining(TimeSpan.FromTicks(_iterations.Next(it).Ticks * (maxIter - it.Iteration))).Replace("ETA", "ETA ≤") : "";
                terminal.Line($"train: {IterationText(it)}  {eta}".TrimEnd());
                break;
            case StageChanged { Stage: "scoring" } stage:
                _scoring = Stopwatch.StartNew();
                terminal.Line(stage.Describe());
                break;
            case ScoringProgress p:
                var elapsed = (_scoring ?? _clock).Elapsed;
                terminal.Line($"score: {p.ShardsDone}/{p.ShardsTotal} shards {Format.Eta(elapsed, (double)p.ShardsDone / Math.Max(1, p.ShardsTotal))}".TrimEnd());
                break;
            case JobFinished { Succeeded: false }:
            case ShardsAssigned or ShardsLoaded or CandidateFitted or ThresholdSet or StageChanged or WorkerFailed or WorkerRecovered
                or WorkerJoinedJob { MidJob: true } or WorkerUnreachable or WorkerDowned or CoordinatorRestarting or ShardsRecovered or WaitingForWorkers or JobResumed or ChaosInjected:
                terminal.Line(e.Describe());
                break;
        }
    }

    private void Rich(JobEvent e)
    {
        switch (e)
        {
            case JobStarted s:
                _shards = s.Shards;
                break;
            case IterationCompleted it:
                terminal.Progress(TrainKey(it.K), BarText(it), it.Iteration, maxIter);
                break;
            case CandidateFitted c:
                terminal.CompleteProgress(TrainKey(c.K),
                    $"train K={c.K}: {c.Iterations} it, {(c.Converged ? "converged" : "NOT converged")}, LB {Format.Number(c.LowerBound, 8)}");
                break;
            case StageChanged { Stage: "scoring" }:
                terminal.Progress("score", $"score: 0/{_shards} shards", 0, _shards);
                break;
            case ScoringProgress p:
                if (p.ShardsDone < p.ShardsTotal) terminal.Progress("score", $"score: {p.ShardsDone}/{p.ShardsTotal} shards", p.ShardsDone, p.ShardsTotal);
                else terminal.CompleteProgress("score", $"score: {p.ShardsTotal}/{p.ShardsTotal} shards");
                break;
            case JobFinished f:
                if (!f.Succeeded) terminal.Line(f.Describe());
                terminal.EndLive();
                break;
            // The bars say where the job is; these say what happened to it.
            case ThresholdSet or WorkerFailed or WorkerRecovered or WorkerJoinedJob { MidJob: true } or WorkerUnreachable or WorkerDowned or CoordinatorRestarting or ShardsRecovered
                or WaitingForWorkers or JobResumed or ChaosInjected:
                terminal.Line(e.Describe());
                break;
            case ShardsAssigned a when a.Reason != "initial placement":
                terminal.Line(e.Describe());
                break;
        }
    }

    private static string TrainKey(int k) => $"train K={k}";

    /// <summary>Short enough that description, bar, elapsed and ETA fit an 80-column terminal.</summary>
    private string BarText(IterationCompleted it) =>
        $"train K={it.K} it {it.Iteration}{(maxIter > 0 ? "/" + maxIter : "")} LB {Format.Number(it.LowerBound, 8)}"
        + (it.Delta is { } d ? " Δ " + d.ToString("0.0e+0", System.Globalization.CultureInfo.InvariantCulture) : "")
        + $" {it.Elapsed.TotalMilliseconds:F0} ms";

    private string IterationText(IterationCompleted it) =>
        $"K={it.K} iteration {it.Iteration,3}{(maxIter > 0 ? "/" + maxIter : "")}  lower bound {Format.Number(it.LowerBound, 10),-14}"
        + (it.Delta is { } d ? $"  Δ {d:E2}" : "             ") + $"  {it.Elapsed.TotalMilliseconds,6:F0} ms";

    /// <summary>Mean time of a fit's iterations after its first (which carries the initialisation); the first's alone until then.</summary>
    private sealed class IterationPace
    {
        private int _k = -1;
        private TimeSpan _sum;
        private int _count;

        public TimeSpan Next(IterationCompleted it)
        {
            if (it.K != _k || it.Iteration == 1) (_k, _sum, _count) = (it.K, TimeSpan.Zero, 0);
            if (it.Iteration == 1) return it.Elapsed;
            _sum += it.Elapsed;
            _count++;
            return _sum / _count;
        }
    }
}
