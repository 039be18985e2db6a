using DistGmm.Testing;
using Microsoft.Playwright;
using Xunit;

namespace DistGmm.Reporting.Tests.Browser;

/// <summary>
/// One headless Debian chromium for all browser tests. Playwright's own browser download is never used:
/// scripts/install-chromium.sh installs /usr/bin/chromium.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDir { get; } = RepoPaths.InRepo("tests", "DistGmm.Reporting.Tests", "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} not found: run scripts/install-chromium.sh (installs Debian's chromium).");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Directory.CreateDirectory(ScreenshotDir);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
    }

    /// <summary>A fresh page that records console errors, page errors and any request leaving file:// or the given origin.</summary>
    public async Task<(IPage Page, List<string> Errors, List<string> ForeignRequests)> NewPageAsync(string? allowedOrigin = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        var foreign = new List<string>();
        page.Console += (_, msg) =>
        {
            if (msg.Type is "error" or "warning") lock (errors) errors.Add($"{msg.Type}: {msg.Text}");
        };
        page.PageError += (_, err) => { lock (errors) errors.Add("page error: " + err); };
        page.Request += (_, req) =>
        {
            var ok = req.Url.StartsWith("file://", StringComparison.Ordinal) || req.Url.StartsWith("data:", StringComparison.Ordinal)
                     || (allowedOrigin is not null && req.Url.StartsWith(allowedOrigin, StringComparison.Ordinal));
            if (!ok) lock (foreign) foreign.Add(req.Url);
        };
        return (page, errors, foreign);
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
