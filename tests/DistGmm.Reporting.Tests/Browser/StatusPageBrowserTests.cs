using DistGmm.Reporting.Status;
using Microsoft.Playwright;
using Xunit;

namespace DistGmm.Reporting.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class StatusPageBrowserTests(BrowserFixture browser)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 16, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Status_page_follows_the_job_as_iterations_complete()
    {
        var board = new StatusBoard(Snapshot(0, "ingesting"));
        await using var server = await StatusServer.StartAsync(board, new StatusServerOptions { PollInterval = TimeSpan.FromMilliseconds(150) });
        Assert.True(server.BaseAddress.IsLoopback);
        var origin = server.BaseAddress.GetLeftPart(UriPartial.Authority);
        var (page, errors, foreign) = await browser.NewPageAsync(origin);
        await page.GotoAsync(server.BaseAddress.AbsoluteUri);

        await WaitFor(page, "#state:text-is('ingesting')");
        Assert.Equal("3 / 3", await page.InnerTextAsync("#nodes-up"));
        Assert.Equal(3, await page.Locator("#nodes tr").CountAsync());

        for (var it = 1; it <= 5; it++)
        {
            board.Publish(Snapshot(it, "training"));
            await WaitFor(page, $"#iteration[data-iteration='{it}']");
            Assert.Equal(it, await page.Locator("#lb-chart circle.pt").CountAsync());
            Assert.Equal($"{it} / 20", await page.InnerTextAsync("#iteration"));
        }

        Assert.Contains("worker-2 lost", await page.InnerTextAsync("#events"));
        Assert.Equal("2 / 3", await page.InnerTextAsync("#nodes-up"));
        Assert.Equal("5 / 8", await page.InnerTextAsync("#shards-done"));
        Assert.Equal(8, await page.Locator("#shard-grid span").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDir, "status-page.png"), FullPage = true });

        board.Update(s => s with { State = "done" });
        await WaitFor(page, "#state.done");

        // When the job goes away the page says so instead of silently showing stale numbers.
        await server.StopAsync();
        await WaitFor(page, "#conn.lost");
        Assert.Equal("5 / 20", await page.InnerTextAsync("#iteration"));
        // The browser logs the refused fetch itself; anything else would be a page bug.
        Assert.DoesNotContain(errors, e => !e.Contains("ERR_CONNECTION_REFUSED", StringComparison.Ordinal));
        Assert.Empty(foreign);
    }

    [Fact]
    public async Task Job_text_is_shown_as_text_not_markup()
    {
        var board = new StatusBoard(Snapshot(1, "training") with { JobName = "<img src=x onerror=alert(1)>" });
        await using var server = await StatusServer.StartAsync(board);
        var (page, errors, _) = await browser.NewPageAsync(server.BaseAddress.GetLeftPart(UriPartial.Authority));
        await page.GotoAsync(server.BaseAddress.AbsoluteUri);
        await WaitFor(page, "#job:has-text('<img src=x')");
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Empty(errors);
    }

    // Waits on a DOM condition expressed as a selector (the page's CSP forbids eval, which WaitForFunction needs).
    private static Task WaitFor(IPage page, string selector) =>
        page.Locator(selector).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 15_000 });

    /// <summary>A three-node job; from iteration 3 on worker-2 is lost and its shards are reassigned.</summary>
    internal static StatusSnapshot Snapshot(int iteration, string state)
    {
        var lost = iteration >= 3;
        var nodes = new[]
        {
            new NodeStatus("worker-1", "10.0.0.11:4053", "busy", lost ? 4 : 3, T0.AddSeconds(iteration)),
            new NodeStatus("worker-2", "10.0.0.12:4053", lost ? "lost" : "busy", lost ? 0 : 3, T0.AddSeconds(Math.Min(iteration, 2))),
            new NodeStatus("worker-3", "10.0.0.13:4053", "up", lost ? 4 : 2, T0.AddSeconds(iteration)),
        };
        var shards = Enumerable.Range(0, 8).Select(s => new ShardStatus(
            $"shard-{s:00}",
            s < iteration ? "done" : s == iteration ? "running" : "pending",
            s % 3 == 1 && lost ? "worker-3" : $"worker-{s % 3 + 1}",
            61_000 + s * 17)).ToArray();
        var events = new List<StatusEvent> { new(T0, "info", "job started with 3 workers") };
        for (var i = 1; i <= iteration; i++)
        {
            events.Add(new StatusEvent(T0.AddSeconds(i), "info", $"iteration {i} complete"));
            if (i == 3)
            {
                events.Add(new StatusEvent(T0.AddSeconds(i + 0.2), "error", "worker-2 lost (missed heartbeats)"));
                events.Add(new StatusEvent(T0.AddSeconds(i + 0.3), "warning", "shard-01, shard-04 reassigned to worker-3"));
            }
        }

        return new StatusSnapshot
        {
            JobName = "kdd-10pct-k4",
            State = state,
            Iteration = iteration,
            MaxIterations = 20,
            LowerBound = Enumerable.Range(1, iteration).Select(i => -25 + 9 * (1 - Math.Exp(-i / 2.0))).ToArray(),
            Nodes = nodes,
            Shards = shards,
            Events = events,
            UpdatedAt = T0.AddSeconds(iteration),
        };
    }
}
