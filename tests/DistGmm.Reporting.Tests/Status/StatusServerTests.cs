using System.Net;
using System.Text.Json;
using DistGmm.Reporting.Status;
using DistGmm.Reporting.Tests.Browser;
using Xunit;

namespace DistGmm.Reporting.Tests.Status;

public class StatusServerTests
{
    [Fact]
    public async Task Api_returns_the_current_snapshot_as_camel_case_json()
    {
        var board = new StatusBoard(StatusPageBrowserTests.Snapshot(4, "training"));
        await using var server = await StatusServer.StartAsync(board);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/status"));
        var root = doc.RootElement;
        Assert.Equal("kdd-10pct-k4", root.GetProperty("jobName").GetString());
        Assert.Equal(4, root.GetProperty("iteration").GetInt32());
        Assert.Equal(4, root.GetProperty("lowerBound").GetArrayLength());
        Assert.Equal("lost", root.GetProperty("nodes")[1].GetProperty("state").GetString());
        Assert.Equal(8, root.GetProperty("shards").GetArrayLength());

        board.Update(s => s with { Iteration = 5, LowerBound = [.. s.LowerBound, double.NegativeInfinity] });
        using var doc2 = JsonDocument.Parse(await http.GetStringAsync("/api/status"));
        Assert.Equal(5, doc2.RootElement.GetProperty("iteration").GetInt32());
        Assert.Equal("-Infinity", doc2.RootElement.GetProperty("lowerBound")[4].GetString());

        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nope")).StatusCode);
    }

    [Fact]
    public async Task A_func_source_is_asked_on_every_request()
    {
        var calls = 0;
        await using var server = await StatusServer.StartAsync(() => new StatusSnapshot { Iteration = Interlocked.Increment(ref calls) });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        await http.GetStringAsync("/api/status");
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/status"));
        Assert.Equal(2, doc.RootElement.GetProperty("iteration").GetInt32());
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://[::1]:5080;http://127.0.0.1:5081")]
    public void Loopback_urls_are_accepted(string urls) => Assert.NotEmpty(StatusServer.ParseUrls(urls, allowRemote: false));

    [Theory]
    [InlineData("http://0.0.0.0:5080", "not a loopback address")]
    [InlineData("http://*:5080", "not a loopback address")]
    [InlineData("http://10.1.2.3:80", "not a loopback address")]
    [InlineData("ftp://127.0.0.1:21", "not an http(s) URL")]
    [InlineData("127.0.0.1:5080", "not an http(s) URL")]
    [InlineData(" ; ", "--urls is empty")]
    public void Remote_or_malformed_urls_are_refused_with_a_reason(string urls, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => StatusServer.ParseUrls(urls, allowRemote: false));
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void Remote_binding_is_allowed_when_asked_for() =>
        Assert.Equal(["http://0.0.0.0:5080"], StatusServer.ParseUrls("http://0.0.0.0:5080", allowRemote: true));

    [Fact]
    public async Task A_busy_port_is_reported_with_the_url()
    {
        await using var first = await StatusServer.StartAsync(new StatusBoard());
        var url = $"http://127.0.0.1:{first.BaseAddress.Port}";
        var ex = await Assert.ThrowsAsync<IOException>(() => StatusServer.StartAsync(new StatusBoard(), new StatusServerOptions { Urls = url }));
        Assert.Contains(url, ex.Message);
    }

    [Fact]
    public void Board_updates_are_atomic_and_versioned()
    {
        var board = new StatusBoard();
        Assert.Equal("waiting for the job", board.Current.State);
        Parallel.For(0, 1000, _ => board.Update(s => s with { Iteration = s.Iteration + 1 }));
        Assert.Equal(1000, board.Current.Iteration);
        Assert.Equal(1000, board.Version);
    }
}
