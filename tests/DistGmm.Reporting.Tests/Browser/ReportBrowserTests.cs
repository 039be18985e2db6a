using Microsoft.Playwright;
using Xunit;

namespace DistGmm.Reporting.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ReportBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task Report_opens_offline_with_every_chart_populated_and_a_rotatable_3d_view()
    {
        var data = SyntheticReport.Create();
        var dir = Directory.CreateTempSubdirectory("distgmm-report-");
        var path = Path.Combine(dir.FullName, "report.html");
        ReportWriter.Write(data, path);

        var (page, errors, foreign) = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(path).AbsoluteUri);

        // 6,000 of the 20,000 records are flagged: all are drawn, with half of each budget left for normal points.
        Assert.Equal(6000, await Count(page, "#scatter2d .s-anomaly circle.pt"));
        Assert.Equal(2000, await Count(page, "#scatter2d .s-normal circle.pt"));
        Assert.Equal(6000, await Count(page, "#scatter3d circle.pt.a"));
        Assert.Equal(750, await Count(page, "#scatter3d circle.pt.n"));
        Assert.Equal(data.Missing!.Columns.Count, await Count(page, "#missing-matrix rect.col"));
        Assert.True(await Count(page, "#missing-matrix rect.gap") >= 2);
        Assert.Equal(18, await Count(page, "#lower-bound circle.pt"));
        Assert.True(await Count(page, "#score-histogram rect.bar") >= 20);
        Assert.Equal(1, await Count(page, "#score-histogram line.threshold"));
        Assert.Equal(16, await Count(page, "#model-selection circle.pt"));
        Assert.Equal(1, await Count(page, "#model-selection line.marker"));
        Assert.Equal(4, await Count(page, "#confusion td.cell"));
        Assert.True(await PathPoints(page, "#roc-curve path.line") >= 50);
        Assert.True(await PathPoints(page, "#pr-curve path.line") >= 50);
        Assert.Equal(7, await Count(page, "#detection-by-label rect.bar:not(.bar-bg)"));
        Assert.True(await Count(page, "#cluster-timeline rect.span") >= 20);
        Assert.True(await Count(page, "#cluster-timeline path.event") >= 5);
        Assert.Contains("Shown: all 6,000 flagged records and a seeded uniform sample of 2,000 of the 14,000 normal records", await page.InnerTextAsync("#traffic"));
        Assert.Contains("anomaly (flagged) (6,000)", await page.InnerTextAsync("#scatter3d-legend"));

        // Every chart is actually laid out (non-zero size), not just present in the DOM.
        foreach (var id in new[] { "scatter2d", "scatter3d", "missing-matrix", "lower-bound", "score-histogram", "model-selection", "roc-curve", "pr-curve", "detection-by-label", "cluster-timeline" })
        {
            var box = await page.Locator("#" + id).BoundingBoxAsync();
            Assert.True(box is { Width: > 200, Height: > 100 }, $"#{id} is not visible");
        }

        await page.Locator("#view3d").ScrollIntoViewIfNeededAsync();
        var before = await Snapshot3d(page);
        var box3d = (await page.Locator("#scatter3d").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box3d.X + box3d.Width / 2, box3d.Y + box3d.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box3d.X + box3d.Width / 2 + 120, box3d.Y + box3d.Height / 2 + 40, new MouseMoveOptions { Steps = 6 });
        await page.Mouse.UpAsync();
        var after = await Snapshot3d(page);
        Assert.NotEqual(before.Yaw, after.Yaw);
        Assert.NotEqual(before.PointChecksum, after.PointChecksum);
        await page.Locator("#view3d").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDir, "report-3d-rotated.png") });

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDir, "report-full.png"), FullPage = true });
        Assert.Empty(errors);
        Assert.Empty(foreign);
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Report_without_labels_or_cluster_still_renders_cleanly()
    {
        var full = SyntheticReport.Create(records: 3_000);
        var data = full with
        {
            Evaluation = null,
            Timeline = null,
            ModelSelection = [],
            SelectedK = null,
            Scores = full.Scores! with { ActualAnomaly = null },
        };
        var dir = Directory.CreateTempSubdirectory("distgmm-report-");
        var path = Path.Combine(dir.FullName, "report.html");
        ReportWriter.Write(data, path);
        var (page, errors, foreign) = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(path).AbsoluteUri);
        Assert.Equal(0, await Count(page, "#evaluation"));
        Assert.Equal(0, await Count(page, "#cluster"));
        Assert.Equal(3000, await Count(page, "#scatter2d circle.pt"));
        Assert.Contains("All 3,000 records shown", await page.InnerTextAsync("#traffic"));
        Assert.Contains("no labels", await page.InnerTextAsync("main"));
        Assert.Contains("not flagged", await page.Locator("#score-histogram .legend").TextContentAsync());
        Assert.True(await Count(page, "#score-histogram rect.bar.s-anomaly") >= 5);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDir, "report-unlabelled.png"), FullPage = true });
        Assert.Empty(errors);
        Assert.Empty(foreign);
        dir.Delete(recursive: true);
    }

    private static Task<int> Count(IPage page, string selector) => page.Locator(selector).CountAsync();

    private static Task<int> PathPoints(IPage page, string selector) =>
        page.EvalOnSelectorAsync<int>(selector, "p => (p.getAttribute('d').match(/[ML]/g) || []).length");

    private static async Task<(string Yaw, string PointChecksum)> Snapshot3d(IPage page) =>
    (
        await page.GetAttributeAsync("#scatter3d", "data-yaw") ?? "",
        await page.EvalOnSelectorAsync<string>("#scatter3d", "s => [...s.querySelectorAll('circle.pt')].reduce((a, c) => a + (+c.getAttribute('cx')) * 3 + (+c.getAttribute('cy')), 0).toFixed(1)")
    );
}
