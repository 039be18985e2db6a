using System.Globalization;
using System.Text.Json;
using DistGmm.Cli.Commands;
using DistGmm.Cli.Tests.Browser;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using DistGmm.Reporting.Status;
using Microsoft.Playwright;

namespace DistGmm.Cli.Tests;

/// <summary>
/// What a user sees in Chromium: the report.html of a real `distgmm run`, and the live status page of a job that is
/// still training (paused after each EM iteration until the page has shown it).
/// </summary>
public sealed class BrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const float WaitMs = 15_000;

    [Fact]
    public async Task Report_of_a_real_run_renders_every_chart_offline_and_the_3d_view_rotates_when_dragged()
    {
        var data = SmallKdd.File3000;
        var lines = File.ReadAllLines(data);
        var labels = lines.Select(l => l[(l.LastIndexOf(',') + 1)..]).ToArray();
        var attacks = labels.Count(l => l != "normal.");
        var outDir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-browser-").FullName, "run");

        // The CLI blocks on its own async work, so keep it off the test's synchronisation context.
        var run = await Task.Run(() => CliRunner.Run("run", data, "--out", outDir));
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Out}\n{run.Error}");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var rows = summary.RootElement.GetProperty("rows").GetInt32();
        var flagged = summary.RootElement.GetProperty("anomalies").GetInt32();
        var iterations = summary.RootElement.GetProperty("iterations").GetInt32();
        Assert.Equal(lines.Length, rows);
        Assert.InRange(attacks, 1, rows - 1); // the cut has both classes, so every evaluation chart has something to show

        var watched = await chromium.NewPageAsync();
        var page = watched.Page;
        await page.GotoAsync(new Uri(Path.Combine(outDir, "report.html")).AbsoluteUri);

        // Traffic: every record in 2-D (3,000 is under the 4,000-point budget), split by the model's verdict;
        // the 3-D view draws its 1,500-point sample in the browser.
        Assert.Equal(rows, await Count(page, "#scatter2d circle.pt"));
        Assert.Equal(flagged, await Count(page, "#scatter2d .s-anomaly circle.pt"));
        Assert.Equal(1500, await Count(page, "#scatter3d circle.pt"));
        Assert.True(await Count(page, "#scatter3d circle.pt.a") > 0, "no flagged point in the 3-D view");
        Assert.Equal(lines[0].Split(',').Length, await Count(page, "#missing-matrix rect.col"));

        // Training: one marker and one path vertex per EM iteration.
        Assert.Equal(iterations, await Count(page, "#lower-bound circle.pt"));
        Assert.Equal(iterations, await PathVertices(page, "#lower-bound path.line"));
        // One vertex per timed pass (events.log) on each of the pass-timing lines: wall, slowest and fastest worker.
        var passes = File.ReadLines(Path.Combine(outDir, "events.log")).Count(l => l.Contains(" timed: ", StringComparison.Ordinal));
        Assert.True(passes > iterations, $"{passes} timed passes for {iterations} iterations");
        foreach (var series in new[] { "s-wall", "s-slowest", "s-fastest" })
            Assert.Equal(passes, await PathVertices(page, $"#pass-timing .{series} path.line"));

        // Scores: the histogram bars add up to every record, attacks binned apart, one threshold line.
        var histogram = await page.EvalOnSelectorAsync<int[]>("#score-histogram", """
            s => ['s-normal', 's-anomaly'].map(c => [...s.querySelectorAll('rect.bar.' + c)].reduce((sum, r) =>
                sum + Number(/: ([\d,]+) in \[/.exec(r.querySelector('title').textContent)[1].replace(/,/g, '')), 0))
            """);
        Assert.Equal([rows - attacks, attacks], histogram);
        Assert.Equal(1, await Count(page, "#score-histogram line.threshold"));

        // Evaluation: the confusion matrix agrees with the labels and with the run's anomaly count.
        var cells = await page.EvalOnSelectorAsync<Dictionary<string, int>>("#confusion", """
            t => Object.fromEntries([...t.querySelectorAll('td.cell')].map(c => [c.dataset.cell, Number(c.firstChild.textContent.replace(/,/g, ''))]))
            """);
        Assert.Equal(attacks, cells["TP"] + cells["FN"]);
        Assert.Equal(rows - attacks, cells["FP"] + cells["TN"]);
        Assert.Equal(flagged, cells["TP"] + cells["FP"]);
        Assert.Equal(labels.Distinct().Count(), await Count(page, "#detection-by-label rect.bar:not(.bar-bg)"));
        Assert.True(await PathVertices(page, "#roc-curve path.line") >= 3, "ROC curve has no points");
        Assert.True(await PathVertices(page, "#pr-curve path.line") >= 3, "PR curve has no points");

        // Cluster timeline from the run's recorded events: the in-process workers are actors, each holding its shards
        // through the training job and again through the scoring job (8 shards by default), one line per EM iteration.
        var workers = summary.RootElement.GetProperty("workers").GetInt32();
        Assert.Equal(2 * Math.Min(workers, 8), await Count(page, "#cluster-timeline rect.span.span-completed"));
        Assert.Equal(0, await Count(page, "#cluster-timeline rect.span-failed, #cluster-timeline rect.span-reassigned"));
        Assert.Equal(iterations, await Count(page, "#cluster-timeline line.iteration-line"));
        Assert.Equal(2 * workers, await Count(page, "#cluster-timeline path.event-worker-joined"));
        Assert.True(await Count(page, "#cluster-timeline path.stage-line") >= 4, "no job start/finish lines");
        var shardsHeld = await page.EvalOnSelectorAsync<string[]>("#cluster-timeline", "t => [...t.querySelectorAll('rect.span title')].map(x => x.textContent)");
        Assert.All(shardsHeld, t => Assert.Matches(@"^shards? [\d,-]+ on worker-\d+: \S+–\S+ s, completed$", t));
        Assert.Contains($"{workers} worker", await page.InnerTextAsync("#cluster .caption"));

        foreach (var id in new[] { "scatter2d", "scatter3d", "missing-matrix", "lower-bound", "pass-timing", "score-histogram", "confusion", "detection-by-label", "roc-curve", "pr-curve", "cluster-timeline" })
        {
            var box = await page.Locator("#" + id).BoundingBoxAsync();
            Assert.True(box is { Width: > 100, Height: > 50 }, $"#{id} is not laid out: {box?.Width}x{box?.Height}");
        }

        // Drag right by 120 px and down by 40 px: the script turns 0.01 rad per pixel, so yaw +1.2 and pitch +0.4.
        await page.Locator("#view3d").ScrollIntoViewIfNeededAsync();
        var before = await Projected3d(page, first: true);
        var box3d = (await page.Locator("#scatter3d").BoundingBoxAsync())!;
        var (cx, cy) = (Math.Round(box3d.X + box3d.Width / 2), Math.Round(box3d.Y + box3d.Height / 2));
        await page.Mouse.MoveAsync((float)cx, (float)cy);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)cx + 120, (float)cy + 40, new MouseMoveOptions { Steps = 6 });
        await page.Mouse.UpAsync();
        var after = await Projected3d(page, first: false);

        Assert.Equal(1.2, after.Yaw - before.Yaw, 0.02);
        Assert.Equal(0.4, after.Pitch - before.Pitch, 0.02);
        Assert.Equal(before.Points.Length, after.Points.Length);
        var moved = before.Points.Zip(after.Points).Count(p => Math.Abs(p.Item1[0] - p.Item2[0]) + Math.Abs(p.Item1[1] - p.Item2[1]) > 0.5);
        Assert.True(moved >= 0.9 * before.Points.Length, $"only {moved} of {before.Points.Length} projected points moved");
        Assert.All(after.Points, p => Assert.True(p[0] is >= 0 and <= 540 && p[1] is >= 0 and <= 460, $"point ({p[0]}, {p[1]}) left the view"));

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ChromiumFixture.ScreenshotDir, "cli-report.png"), FullPage = true });
        watched.AssertClean();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Status_page_shows_each_iteration_of_a_running_job_before_it_continues_then_the_finished_state()
    {
        const int maxIter = 4;
        var work = Directory.CreateTempSubdirectory("distgmm-browser-status-").FullName;
        Ingestion.Ingest(new IngestOptions(SmallKdd.File3000, Path.Combine(work, "dataset"), Shards: 3));
        var board = new StatusBoard(StatusSnapshot.Empty with { MaxIterations = maxIter });
        await using var server = await StatusServer.StartAsync(board,
            new StatusServerOptions { Urls = "http://127.0.0.1:0", PollInterval = TimeSpan.FromMilliseconds(100) });
        var watched = await chromium.NewPageAsync(server.BaseAddress.GetLeftPart(UriPartial.Authority));
        var page = watched.Page;
        await page.GotoAsync(server.BaseAddress.AbsoluteUri);
        await WaitFor(page, "#conn:has-text('live')");

        var gate = new IterationGate();
        var job = Task.Run(() => EmbeddedJob.TrainAsync(
            new TrainJobSpec(Path.Combine(work, "dataset"), PreprocessingSpec.Preset("seed"),
                new EmOptions(2, CovarianceType.Diag, MaxIter: maxIter, Tol: 0), Workers: 2, TrainOnLabels: [], OutDir: work),
            new CompositeObserver(new StatusBridge(board), gate)));

        for (var iteration = 1; iteration <= maxIter; iteration++)
        {
            // A job that fails before reaching the iteration surfaces its own exception here.
            await Task.WhenAny(gate.Reached(iteration), job).WaitAsync(TimeSpan.FromSeconds(60));
            if (job.IsCompleted) await job;

            // The job is parked inside the observer call, so the board (and hence the page) must settle on this iteration.
            await WaitFor(page, $"#iteration[data-iteration='{iteration}']");
            var snapshot = board.Current;
            Assert.Equal(iteration, snapshot.Iteration);
            Assert.Equal($"{iteration} / {maxIter}", await page.InnerTextAsync("#iteration"));
            Assert.Equal(iteration, await Count(page, "#lb-chart circle.pt"));
            Assert.Equal(iteration, await PathVertices(page, "#lb-chart path.line"));
            Assert.Equal(PageNumber(snapshot.LowerBound[^1]), await page.InnerTextAsync("#lower-bound"));
            Assert.StartsWith($"{iteration} iteration", await page.InnerTextAsync("#lb-note"));
            Assert.NotEqual("done", await page.InnerTextAsync("#state"));
            Assert.Equal("2 / 2", await page.InnerTextAsync("#nodes-up"));
            Assert.Equal(2, await Count(page, "#nodes tr"));
            Assert.Equal(3, await Count(page, "#shard-grid span"));
            if (iteration == maxIter)
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ChromiumFixture.ScreenshotDir, "cli-status-running.png"), FullPage = true });
            gate.Release();
        }

        var outcome = await job.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(maxIter, outcome.Fit.Iterations);
        await WaitFor(page, "#state.done");
        Assert.Equal("done", await page.InnerTextAsync("#state"));
        Assert.Equal("3 / 3", await page.InnerTextAsync("#shards-done"));
        Assert.Equal($"{maxIter} / {maxIter}", await page.InnerTextAsync("#iteration"));
        Assert.Equal(maxIter, await Count(page, "#lb-chart circle.pt"));
        Assert.Equal(PageNumber(outcome.Fit.LowerBoundHistory[^1]), await page.InnerTextAsync("#lower-bound"));
        // EM never lowers the bound: later points sit no lower on the chart (SVG y grows downwards).
        var ys = await page.EvalOnSelectorAsync<double[]>("#lb-chart", "c => [...c.querySelectorAll('circle.pt')].map(p => Number(p.getAttribute('cy')))");
        Assert.True(ys.Zip(ys.Skip(1)).All(p => p.Item2 <= p.Item1), $"lower bound chart not rising: {string.Join(", ", ys)}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ChromiumFixture.ScreenshotDir, "cli-status-done.png"), FullPage = true });
        watched.AssertClean();
        await page.Context.CloseAsync();
    }

    private static Task<int> Count(IPage page, string selector) => page.Locator(selector).CountAsync();

    private static Task<int> PathVertices(IPage page, string selector) =>
        page.EvalOnSelectorAsync<int>(selector, "p => (p.getAttribute('d').match(/[ML]/g) || []).length");

    // A DOM condition as a selector: the status page's CSP forbids eval, which WaitForFunction would need.
    private static Task WaitFor(IPage page, string selector) =>
        page.Locator(selector).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = WaitMs });

    /// <summary>The status page's number format for a lower bound (its fmt(): 2 decimals from 100 up, else 4; exponent when huge or tiny).</summary>
    private static string PageNumber(double v)
    {
        var a = Math.Abs(v);
        if (a >= 1e5 || (a > 0 && a < 1e-3)) throw new ArgumentOutOfRangeException(nameof(v), v, "exponent format not expected for this data");
        return v.ToString(a >= 100 ? "F2" : "F4", CultureInfo.InvariantCulture);
    }

    private sealed record View3d(double Yaw, double Pitch, double[][] Points);

    /// <summary>
    /// The projected (cx, cy) of every 3-D point. The script re-sorts circles by depth on each redraw, so the first call
    /// keeps the elements in page memory and later calls read them back in that same order.
    /// </summary>
    private static async Task<View3d> Projected3d(IPage page, bool first)
    {
        var points = await page.EvalOnSelectorAsync<double[][]>("#scatter3d", first
            ? "s => (window.__pts3d = [...s.querySelectorAll('circle.pt')]).map(c => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))])"
            : "s => window.__pts3d.map(c => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))])");
        var yaw = double.Parse((await page.GetAttributeAsync("#scatter3d", "data-yaw"))!, CultureInfo.InvariantCulture);
        var pitch = double.Parse((await page.GetAttributeAsync("#scatter3d", "data-pitch"))!, CultureInfo.InvariantCulture);
        return new View3d(yaw, pitch, points);
    }
}
