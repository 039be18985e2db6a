using System.Text.RegularExpressions;
using DistGmm.Cli.Commands;
using DistGmm.Cli.Console;
using DistGmm.Cluster;
using Spectre.Console;

namespace DistGmm.Cli.Tests;

/// <summary>Live progress on a terminal, plain lines elsewhere: the decision, and what each mode writes.</summary>
public sealed class TerminalProgressTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(false, null, null, "xterm-256color", true)]
    [InlineData(false, null, null, null, true)]
    [InlineData(true, null, null, "xterm", false)]       // stdout redirected to a file or pipe
    [InlineData(false, "true", null, "xterm", false)]    // CI
    [InlineData(false, "1", null, "xterm", false)]
    [InlineData(false, "", null, "xterm", true)]         // CI set but empty counts as unset
    [InlineData(false, null, "1", "xterm", false)]       // NO_COLOR
    [InlineData(false, null, null, "dumb", false)]
    public void Rich_output_only_on_a_terminal_outside_CI(bool redirected, string? ci, string? noColor, string? term, bool rich)
    {
        var env = new Dictionary<string, string?> { ["CI"] = ci, ["NO_COLOR"] = noColor, ["TERM"] = term };
        Assert.Equal(rich, Terminal.WantsRich(redirected, name => env.GetValueOrDefault(name)));
    }

    [Fact]
    public void A_terminal_over_the_callers_writer_is_plain()
    {
        Assert.False(new Terminal(new StringWriter(), new StringWriter()).Interactive);
        Assert.True(new Terminal(new StringWriter(), new StringWriter(), RichConsole(new StringWriter())).Interactive);
    }

    private static IAnsiConsole RichConsole(StringWriter into) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Yes,
        ColorSystem = ColorSystemSupport.TrueColor,
        Interactive = InteractionSupport.Yes,
        Out = new AnsiConsoleOutput(into),
    });

    /// <summary>A training job of 3 iterations over 4 shards, then its scoring job (one process, as `distgmm run`).</summary>
    private static JobEvent[] RunEvents() =>
    [
        new JobStarted(T0, "train-1", "train", 4, 2),
        new ShardsAssigned(T0, new Dictionary<string, IReadOnlyList<int>> { ["worker-0"] = [0, 2], ["worker-1"] = [1, 3] }, "initial placement"),
        new StageChanged(T0, "loading"),
        new ShardsLoaded(T0, 3000, 39),
        new IterationCompleted(T0, 2, 1, 150.08610049539053, null, TimeSpan.FromMilliseconds(85)),
        new IterationCompleted(T0, 2, 2, 162.02041549059865, 11.934314995208126, TimeSpan.FromMilliseconds(4)),
        new IterationCompleted(T0, 2, 3, 162.0204155, 1.0e-5, TimeSpan.FromMilliseconds(3)),
        new CandidateFitted(T0, 2, 3, true, 162.0204155, -1021929.02),
        new JobFinished(T0, "train-1", true, null),
        new JobStarted(T0, "score-1", "score", 4, 2),
        new StageChanged(T0, "scoring"),
        new ScoringProgress(T0, 1, 4), new ScoringProgress(T0, 2, 4), new ScoringProgress(T0, 3, 4), new ScoringProgress(T0, 4, 4),
        new ThresholdSet(T0, "mean-2std", 106.77991314534405, 172.50857703079407, 32.86433194272501),
        new JobFinished(T0, "score-1", true, null),
    ];

    [Fact]
    public void Plain_output_is_one_line_per_iteration_scored_shard_and_event()
    {
        var output = new StringWriter();
        var terminal = new Terminal(output, new StringWriter());
        var observer = new ProgressObserver(terminal, maxIter: 100);
        foreach (var e in RunEvents()) observer.OnEvent(e);
        terminal.Summary("Scored", [("rows", "3,000")]);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("shards assigned (initial placement): worker-0=[0,2]; worker-1=[1,3]", lines[0]);
        Assert.Equal(["stage: loading", "all shards loaded: 3000 rows, 39 features"], lines[1..3]);
        // Times are the coordinator's; the ETA (an upper bound: EM may stop at tol) is the remaining iterations at the pace of
        // those after the first (which carries the initialisation): 99 × 85 ms, then 98 × 4 ms.
        Assert.Matches(@"^train: K=2 iteration   1/100  lower bound 150.0861005 {22}85 ms  ETA ≤ 00:08$", lines[3]);
        Assert.Matches(@"^train: K=2 iteration   2/100  lower bound 162.0204155     Δ 1.19E\+001       4 ms  ETA ≤ 00:00$", lines[4]);
        Assert.StartsWith("train: K=2 iteration   3/100  lower bound 162.0204155     Δ 1.00E-005       3 ms", lines[5]);
        Assert.StartsWith("K=2 fitted: 3 iterations, converged=True", lines[6]);
        Assert.Equal("stage: scoring", lines[7]);
        Assert.Equal(4, lines.Count(l => Regex.IsMatch(l, @"^score: [1-4]/4 shards")));
        Assert.Equal("score: 4/4 shards", lines[11]);
        Assert.StartsWith("threshold 106.77991314534405 (mean-2std;", lines[12]);
        Assert.Equal(["Scored", "  rows  3,000"], lines[13..]);
        Assert.DoesNotContain('\u001b', output.ToString()); // no escape codes in a log file
    }

    [Theory]
    [InlineData(8.415, "ETA 00:08")]
    [InlineData(754, "ETA 12:34")]
    [InlineData(4 * 3600 + 5 * 60 + 6, "ETA 4:05:06")]
    public void Remaining_time_is_minutes_and_seconds_with_hours_when_there_are_any(double seconds, string text) =>
        Assert.Equal(text, DistGmm.Cli.Console.Format.Remaining(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Rich_output_draws_live_bars_then_a_table_below_them()
    {
        var screen = new StringWriter();
        var plain = new StringWriter();
        var terminal = new Terminal(plain, new StringWriter(), RichConsole(screen));
        var observer = new ProgressObserver(terminal, maxIter: 100);
        foreach (var e in RunEvents()) observer.OnEvent(e);
        terminal.Summary("Scored", [("rows", "3,000"), ("anomalies", "216")]);

        var text = screen.ToString();
        Assert.Equal("", plain.ToString()); // everything went to the rich console
        Assert.Contains("\u001b[", text);   // ANSI: a live display, not lines
        // Which intermediate states get drawn depends on the refresh clock; the last frame of each bar does not.
        Assert.Contains("train K=2: 3 it, converged, LB 162.02042", text);
        Assert.Contains("score: 4/4 shards", text);
        Assert.Contains("━", text);          // the bars
        Assert.Contains("threshold 106.77991314534405", text); // events print above the bars
        Assert.DoesNotContain("shards assigned (initial placement)", text); // the bars already say where the job is
        // The summary table comes after the last frame of the bars.
        var table = text.IndexOf("╭", StringComparison.Ordinal);
        Assert.True(table > text.LastIndexOf("score: 4/4 shards", StringComparison.Ordinal), "table drawn inside the live display");
        Assert.Contains("anomalies", text[table..]);
        Assert.Contains("216", text[table..]);
    }

    [Fact]
    public void Rich_output_ends_the_live_display_when_a_job_fails_and_says_why()
    {
        var screen = new StringWriter();
        var terminal = new Terminal(new StringWriter(), new StringWriter(), RichConsole(screen));
        var observer = new ProgressObserver(terminal, maxIter: 10);
        observer.OnEvent(new JobStarted(T0, "train-1", "train", 4, 2));
        observer.OnEvent(new IterationCompleted(T0, 2, 1, -3.5, null, TimeSpan.FromMilliseconds(10)));
        observer.OnEvent(new WorkerFailed(T0, "worker-1", "declared dead", TimeSpan.FromSeconds(2)));
        observer.OnEvent(new JobFinished(T0, "train-1", false, "every worker lost"));

        // A second live display would throw if the first were still open.
        terminal.Progress("ingest", "ingest: 10 rows", 10, 20);
        terminal.CompleteProgress("ingest", "ingest: 20 rows in 1 shard");

        var text = screen.ToString();
        Assert.Contains("worker worker-1 failed: declared dead (unreachable for 2.0 s before removal)", text);
        Assert.Contains("job train-1 failed: every worker lost", text);
        Assert.Contains("train K=2 it 1/10 LB -3.5 10 ms", text);
        Assert.Contains("ingest: 20 rows in 1 shard", text);
    }
}
