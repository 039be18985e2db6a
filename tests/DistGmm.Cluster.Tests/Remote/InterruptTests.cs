using Xunit;
using Xunit.Abstractions;
using static DistGmm.Cluster.Tests.Remote.ClusterProcesses;

namespace DistGmm.Cluster.Tests.Remote;

/// <summary>Ctrl+C (SIGINT) and SIGTERM on a real `distgmm` process: the job stops, nothing is published, the exit code says which signal.</summary>
public sealed class InterruptTests(DatasetFixture data, ITestOutputHelper output) : IClassFixture<DatasetFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("INT", 130, "SIGINT")]
    [InlineData("TERM", 143, "SIGTERM")]
    public async Task An_interrupted_run_exits_with_the_signals_code_and_publishes_nothing(string signal, int exitCode, string name)
    {
        var cli = await CliDll.Value;
        var dataset = data.KddSample();
        var outDir = data.NewOutDir();
        // tol 0 and a huge max-iter: the job is still training when the signal comes.
        using var run = NodeProcess.Start(cli, new Dictionary<string, string> { ["CI"] = "1" },
            "run", dataset, "--out", outDir, "--k", "4", "--tol", "0", "--max-iter", "1000000", "--workers", "1", "--no-report");
        try
        {
            await run.WhenLine(l => l.Contains("iteration   3/", StringComparison.Ordinal)).WaitAsync(Bound);
            run.Signal(signal);
            Assert.Equal(exitCode, await run.ExitCodeAsync(Bound));
            Assert.Contains($"distgmm: interrupted by {name}; nothing was published", run.Output);
            Assert.DoesNotContain("A task was canceled", run.Output);
            Assert.False(Directory.Exists(outDir));
            Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(outDir)!, $".{Path.GetFileName(outDir)}.staging*"));
        }
        finally
        {
            output.WriteLine(run.Describe());
        }
    }
}
