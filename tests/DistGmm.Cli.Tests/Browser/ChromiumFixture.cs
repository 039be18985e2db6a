using DistGmm.Testing;
using Microsoft.Playwright;

namespace DistGmm.Cli.Tests.Browser;

/// <summary>
/// One headless Debian chromium (/usr/bin/chromium) shared by the CLI browser tests. Playwright's own browser download
/// is never used (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1; scripts/install-chromium.sh installs the Debian package).
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>TestResults/screenshots under the repository root (git-ignored).</summary>
    public static string ScreenshotDir { get; } = RepoPaths.InRepo("TestResults", "screenshots");

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} not found: run scripts/install-chromium.sh (installs Debian's chromium).");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Directory.CreateDirectory(ScreenshotDir);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }

    /// <summary>
    /// A fresh page in its own context, watched for console errors and warnings, uncaught script errors, requests
    /// that failed or answered 4xx/5xx, and any request leaving file:// / data: or the given origin.
    /// </summary>
    public async Task<WatchedPage> NewPageAsync(string? allowedOrigin = null)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var watched = new WatchedPage(page);
        page.Console += (_, msg) =>
        {
            if (msg.Type is "error" or "warning") watched.Add(watched.Errors, $"console {msg.Type}: {msg.Text}");
        };
        page.PageError += (_, err) => watched.Add(watched.Errors, "page error: " + err);
        page.RequestFailed += (_, req) => watched.Add(watched.FailedRequests, $"{req.Url}: {req.Failure}");
        page.Response += (_, res) =>
        {
            if (res.Status >= 400) watched.Add(watched.FailedRequests, $"{res.Url}: HTTP {res.Status}");
        };
        page.Request += (_, req) =>
        {
            var local = req.Url.StartsWith("file://", StringComparison.Ordinal) || req.Url.StartsWith("data:", StringComparison.Ordinal)
                        || (allowedOrigin is not null && req.Url.StartsWith(allowedOrigin, StringComparison.Ordinal));
            if (!local) watched.Add(watched.ForeignRequests, req.Url);
        };
        return watched;
    }
}

/// <summary>A page plus what went wrong on it (lists are filled from Playwright's event threads, hence the lock).</summary>
public sealed class WatchedPage(IPage page)
{
    public IPage Page { get; } = page;
    public List<string> Errors { get; } = [];
    public List<string> FailedRequests { get; } = [];
    public List<string> ForeignRequests { get; } = [];

    internal void Add(List<string> list, string entry)
    {
        lock (list) list.Add(entry);
    }

    /// <summary>Fails with every problem listed, so a broken page explains itself.</summary>
    public void AssertClean()
    {
        string[] problems;
        lock (Errors) lock (FailedRequests) lock (ForeignRequests)
            problems = [.. Errors, .. FailedRequests.Select(f => "failed request " + f), .. ForeignRequests.Select(f => "foreign request " + f)];
        Assert.True(problems.Length == 0, "page problems:\n" + string.Join("\n", problems));
    }
}
