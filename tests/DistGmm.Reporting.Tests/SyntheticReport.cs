using DistGmm.Numerics.Evaluation;

namespace DistGmm.Reporting.Tests;

/// <summary>
/// Realistic ReportData for tests: KDD-like traffic (normal web/ftp sessions, smurf and neptune floods, a few
/// slow attacks), log-likelihood scores that separate most attacks, a cluster timeline with a lost worker.
/// </summary>
internal static class SyntheticReport
{
    private static readonly (string Label, double Share)[] Mix =
    [
        ("normal.", 0.62), ("smurf.", 0.2), ("neptune.", 0.12), ("back.", 0.02), ("satan.", 0.015), ("ipsweep.", 0.015),
        ("warezclient.", 0.01),
    ];

    public static ReportData Create(int records = 20_000, int seed = 42)
    {
        var rng = new Random(seed);
        var src = new double[records];
        var dst = new double[records];
        var dur = new double[records];
        var ll = new double[records];
        var actual = new bool[records];
        var labels = new string[records];
        for (var i = 0; i < records; i++)
        {
            var label = Pick(rng);
            labels[i] = label;
            actual[i] = label != "normal.";
            switch (label)
            {
                case "normal.":
                    src[i] = Math.Round(Math.Exp(5.3 + 1.1 * Gauss(rng)));
                    dst[i] = Math.Round(Math.Exp(7.2 + 1.6 * Gauss(rng)));
                    dur[i] = rng.NextDouble() < 0.85 ? 0 : Math.Round(Math.Exp(2 + 2 * Gauss(rng)));
                    ll[i] = -18 + 4 * Gauss(rng);
                    break;
                case "smurf.":
                    src[i] = rng.NextDouble() < 0.9 ? 1032 : 520;
                    ll[i] = -31 + 3 * Gauss(rng);
                    break;
                case "neptune.":
                    ll[i] = -27 + 5 * Gauss(rng);
                    break;
                case "back.":
                    src[i] = 54540;
                    dst[i] = Math.Round(Math.Exp(9 + 0.3 * Gauss(rng)));
                    dur[i] = rng.Next(0, 3);
                    ll[i] = -60 + 8 * Gauss(rng);
                    break;
                case "warezclient.":
                    src[i] = Math.Round(Math.Exp(8 + 2 * Gauss(rng)));
                    dur[i] = Math.Round(Math.Exp(5 + 1.5 * Gauss(rng)));
                    ll[i] = -45 + 10 * Gauss(rng);
                    break;
                default:
                    src[i] = rng.Next(0, 20);
                    dst[i] = rng.NextDouble() < 0.5 ? 0 : rng.Next(0, 200);
                    ll[i] = -22 + 6 * Gauss(rng);
                    break;
            }
        }

        ll[0] = -4000; // one extreme outlier, as real runs have: exercises clipping in the histogram
        var sorted = (double[])ll.Clone();
        Array.Sort(sorted);
        var threshold = sorted[(int)(0.3 * records)]; // flag the least likely 30%
        var predicted = ll.Select(v => v < threshold).ToArray();

        string[] columns = ["duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land", "wrong_fragment",
            "urgent", "hot", "num_failed_logins", "logged_in", "count", "srv_count", "serror_rate", "dst_host_count", "label"];
        var missingRows = new bool[2_000][];
        for (var r = 0; r < missingRows.Length; r++)
        {
            missingRows[r] = new bool[columns.Length];
            if (r is >= 700 and < 760) missingRows[r][2] = true; // a block of missing service values
            if (rng.NextDouble() < 0.02) missingRows[r][9] = true;
        }

        var missingPerColumn = new long[columns.Length];
        foreach (var row in missingRows)
            for (var c = 0; c < columns.Length; c++) if (row[c]) missingPerColumn[c]++;

        return new ReportData
        {
            Title = "KDD Cup 99 <10% sample> & \"friends\"",
            RunId = "2026-11-21T16-00-00-k4",
            FinishedAt = new DateTimeOffset(2026, 11, 21, 16, 5, 0, TimeSpan.Zero),
            Facts =
            [
                new("input", "kddcup.data_10_percent.parquet"),
                new("records", records.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
                new("components K", "4"),
                new("covariance", "full"),
                new("threshold", $"{threshold:F3} (30th percentile)"),
                new("duration", "12.4 s"),
            ],
            Points = new RecordPoints(src, dst, dur, predicted, records),
            Missing = new MissingValues(columns, missingRows.Length, missingPerColumn, missingRows),
            LowerBound = Enumerable.Range(1, 18).Select(i => -25 + 9 * (1 - Math.Exp(-i / 3.0))).ToArray(),
            Scores = new ScoreDistribution(ll, threshold, actual),
            ModelSelection = Enumerable.Range(1, 8)
                .Select(k => new ModelSelectionPoint(k, 1e5 * (1.6 + 0.9 * Math.Exp(-k) + 0.02 * (k - 4) * (k - 4)), 1e5 * (1.55 + 0.9 * Math.Exp(-k) + 0.01 * (k - 5) * (k - 5))))
                .ToArray(),
            SelectedK = 4,
            Evaluation = LabelEvaluation.FromScores(ll, predicted, actual, labels),
            Timeline = Timeline(),
        };
    }

    public static ClusterTimeline Timeline()
    {
        string[] workers = ["worker-1", "worker-2", "worker-3"];
        var spans = new List<ShardSpan>();
        var events = new List<TimelineEvent>
        {
            new(0.0, TimelineEventKind.WorkerJoined, "worker-1", ""),
            new(0.1, TimelineEventKind.WorkerJoined, "worker-2", ""),
            new(0.2, TimelineEventKind.WorkerJoined, "worker-3", ""),
        };
        var t = 0.3;
        for (var iter = 1; iter <= 4; iter++)
        {
            double end = t;
            for (var s = 0; s < 6; s++)
            {
                var w = workers[s % 3];
                var start = t + (s / 3) * 1.1;
                var stop = start + 1.0;
                if (iter == 2 && s == 4)
                {
                    spans.Add(new ShardSpan(w, $"shard-{s:00}", start, start + 0.4, SpanOutcome.Failed, iter));
                    events.Add(new TimelineEvent(start + 0.4, TimelineEventKind.WorkerLost, w, "missed 3 heartbeats"));
                    events.Add(new TimelineEvent(start + 0.45, TimelineEventKind.ShardReassigned, "worker-1", $"shard-{s:00} from {w}"));
                    spans.Add(new ShardSpan("worker-1", $"shard-{s:00}", start + 1.1, start + 2.1, SpanOutcome.Completed, iter));
                    stop = start + 2.1;
                }
                else if (iter >= 3 && w == "worker-2")
                {
                    continue; // worker-2 is gone
                }
                else
                {
                    spans.Add(new ShardSpan(w, $"shard-{s:00}", start, stop, SpanOutcome.Completed, iter));
                }

                end = Math.Max(end, stop);
            }

            if (iter >= 3)
            {
                spans.Add(new ShardSpan("worker-3", $"shard-01", end, end + 1, SpanOutcome.Completed, iter));
                spans.Add(new ShardSpan("worker-1", $"shard-04", end, end + 1, SpanOutcome.Completed, iter));
                end += 1;
            }

            events.Add(new TimelineEvent(end + 0.05, TimelineEventKind.IterationCompleted, null, $"it {iter}"));
            t = end + 0.15;
        }

        return new ClusterTimeline(workers, spans, events);
    }

    private static string Pick(Random rng)
    {
        var u = rng.NextDouble();
        foreach (var (label, share) in Mix)
        {
            if (u < share) return label;
            u -= share;
        }

        return Mix[0].Label;
    }

    private static double Gauss(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
