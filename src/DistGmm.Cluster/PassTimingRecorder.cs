using System.Text.Json.Nodes;
using MathNet.Numerics.Statistics;

namespace DistGmm.Cluster;

/// <summary>
/// Turns a run's <see cref="PassTimed"/> events into summary.json's <c>passTiming</c>: where a training pass's time
/// goes — the workers computing (slowest, fastest), the faster ones waiting, and coordination (sending the commands,
/// the results' way back, merging) — so a straggling node or a slow network shows without a profiler. Thread-safe.
/// </summary>
public sealed class PassTimingRecorder(IJobObserver? next = null) : IJobObserver
{
    private readonly Lock _gate = new();
    private readonly List<PassTimed> _passes = [];

    public void OnEvent(JobEvent e)
    {
        if (e is PassTimed p)
            lock (_gate) _passes.Add(p);
        next?.OnEvent(e);
    }

    /// <summary>Medians over every timed pass (each pass of a training job, initialisation included) and the slowest pass.</summary>
    public JsonObject Report()
    {
        lock (_gate)
        {
            if (PassTimingSummary.Of(_passes) is not { } summary) return new JsonObject { ["passes"] = 0 };
            var slowest = _passes.MaxBy(p => p.Wall)!;
            return new JsonObject
            {
                ["passes"] = summary.Passes,
                ["medianWallSeconds"] = summary.MedianWallSeconds,
                ["medianSlowestWorkerSeconds"] = summary.MedianSlowestWorkerSeconds,
                ["medianFastestWorkerSeconds"] = summary.MedianFastestWorkerSeconds,
                ["medianCoordinationSeconds"] = summary.MedianCoordinationSeconds,
                ["medianBytesSent"] = summary.MedianBytesSent,
                ["medianBytesReceived"] = summary.MedianBytesReceived,
                ["shardsTaken"] = summary.ShardsTaken,
                ["shardsSplit"] = summary.ShardsSplit,
                ["slowestPass"] = new JsonObject
                {
                    ["passNumber"] = slowest.PassNumber, ["wallSeconds"] = slowest.Wall.TotalSeconds,
                    ["slowestWorkerSeconds"] = slowest.SlowestWorker.TotalSeconds, ["workers"] = slowest.Workers,
                },
            };
        }
    }

    /// <summary>Adds the report to a written summary.json as its <c>passTiming</c> object.</summary>
    public void WriteInto(string summaryPath)
    {
        RunSummary.SetSection(summaryPath, "passTiming", Report());
    }
}

/// <summary>
/// Medians over passes (<see cref="PassTimed"/>): wall time, slowest and fastest worker, and coordination (wall − slowest
/// worker: the commands' way out, the results' way back, waking threads, merging), and the payload bytes a pass sent to
/// and received from workers on other nodes; and how many shards workers took over from lagging ones, and how many
/// lagging ones cut to share, over all passes.
/// </summary>
public sealed record PassTimingSummary(int Passes, double MedianWallSeconds, double MedianSlowestWorkerSeconds, double MedianFastestWorkerSeconds,
    double MedianCoordinationSeconds, double MedianBytesSent = 0, double MedianBytesReceived = 0, int ShardsTaken = 0, int ShardsSplit = 0)
{
    public static PassTimingSummary? Of(IReadOnlyCollection<PassTimed> passes) => passes.Count == 0 ? null : new(passes.Count,
        passes.Select(p => p.Wall.TotalSeconds).Median(), passes.Select(p => p.SlowestWorker.TotalSeconds).Median(),
        passes.Select(p => p.FastestWorker.TotalSeconds).Median(), passes.Select(p => (p.Wall - p.SlowestWorker).TotalSeconds).Median(),
        passes.Select(p => (double)p.BytesSent).Median(), passes.Select(p => (double)p.BytesReceived).Median(), passes.Sum(p => p.ShardsTaken),
        passes.Sum(p => p.ShardsSplit));
}
