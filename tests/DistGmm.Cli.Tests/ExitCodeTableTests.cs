using System.Text.Json;
using DistGmm.Cli.Commands;
using DistGmm.Cli.Tracking;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>
/// Every command against each class of failure exits as README states: 2 the command line, 3 unusable input, 1 the job
/// failed (or could not run: its folder is in use). Failed jobs are in the run store with their error.
/// </summary>
public sealed class ExitCodeTableTests : IClassFixture<ExitCodeTableTests.Inputs>
{
    /// <summary>Shared inputs: a small dataset, a complete run folder, broken files, a locked folder.</summary>
    public sealed class Inputs : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("distgmm-exit-").FullName;
        public string Dataset => Path.Combine(Dir, "ds");
        public string RunDir => Path.Combine(Dir, "run");
        public string Model => Path.Combine(RunDir, "model.json");
        public string Truncated => Path.Combine(Dir, "cut.gz");
        public string NoManifest => Path.Combine(Dir, "empty");
        public string Incomplete => Path.Combine(Dir, "incomplete");
        public string MissingShard => Path.Combine(Dir, "ds-missing-shard");
        public string NotKdd => Path.Combine(Dir, "ab.csv");
        public string AFile => Path.Combine(Dir, "a-file");
        public string Locked => Path.Combine(Dir, "locked");
        private readonly RunFolderLock _lock;

        public Inputs()
        {
            Check(CliRunner.Run("ingest", SmallKdd.File3000, "--out", Dataset, "--shards", "2"));
            Check(CliRunner.Run("run", Dataset, "--out", RunDir, "--max-iter", "3", "--workers", "2"));
            using (var source = File.OpenRead(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")))
            using (var cut = File.Create(Truncated))
            {
                var head = new byte[300_000];
                source.ReadExactly(head);
                cut.Write(head);
            }
            Directory.CreateDirectory(NoManifest);
            CopyDirectory(RunDir, Incomplete);
            File.Delete(Path.Combine(Incomplete, RunFolder.SuccessMarker));
            CopyDirectory(Dataset, MissingShard);
            File.Delete(Path.Combine(MissingShard, "shard-00001.parquet"));
            File.WriteAllText(NotKdd, "a,b,label\n1,2,x\n3,4,y\n5,7,x\n");
            File.WriteAllText(AFile, "not a folder");
            _lock = RunFolderLock.Acquire(Locked, "another job", TextWriter.Null);
        }

        private static void Check(CliRunner.Result r) => Assert.True(r.ExitCode == 0, r.Error);

        private static void CopyDirectory(string from, string to)
        {
            foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
                Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
                File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }

        public void Dispose()
        {
            _lock.Dispose();
            Directory.Delete(Dir, recursive: true);
        }
    }

    private readonly Inputs _in;

    public ExitCodeTableTests(Inputs inputs) => _in = inputs;

    private string Out(string name) => Path.Combine(_in.Dir, "out", name);

    /// <summary>(command, failure class, arguments with placeholders, expected exit code).</summary>
    public static TheoryData<string, string, int> Cases() => new()
    {
        // command line
        { "ingest", "TRUNC --out OUT --shards 0", ExitCodes.Usage },
        { "train", "DS --out OUT --k 0", ExitCodes.Usage },
        { "score", "DS --out OUT", ExitCodes.Usage },                       // --model missing
        { "run", "DS --out OUT --covariance banana", ExitCodes.Usage },
        { "run", "DS --out AFILE", ExitCodes.Usage },                      // --out is a file
        { "train", "DS --out AFILE/sub", ExitCodes.Usage },
        { "score", "--model MODEL DS --out AFILE", ExitCodes.Usage },
        { "ingest", "NOTKDD --out AFILE", ExitCodes.Usage },
        { "run", "RUNDIR/scores.parquet --out RUNDIR", ExitCodes.Usage },   // the input is in the folder a new run replaces
        { "report", "", ExitCodes.Usage },
        { "parquet inspect", "", ExitCodes.Usage },
        { "synth", "--rows 0 --from NOTKDD --out OUT", ExitCodes.Usage },
        { "serve", "", ExitCodes.Usage },
        { "runs list", "--limit 0", ExitCodes.Usage },
        { "bench em", "DS --covariance banana", ExitCodes.Usage },
        { "eval", "DS --no-such-option", ExitCodes.Usage },
        { "eval", "--protocol seed DS --out AFILE", ExitCodes.Usage },      // --out is a file
        { "worker", "--no-such-option", ExitCodes.Usage },
        { "coordinator", "DS --out OUT --workers 0", ExitCodes.Usage },
        // unusable input
        { "ingest", "/nonexistent/kdd.gz --out OUT", ExitCodes.BadInput },
        { "ingest", "TRUNC --out OUT", ExitCodes.BadInput },
        { "run", "TRUNC --out OUT", ExitCodes.BadInput },
        { "train", "NOMANIFEST --out OUT", ExitCodes.BadInput },
        { "train", "NOTKDD --out OUT --preset seed", ExitCodes.BadInput },  // the preset's columns are missing
        { "run", "NOTKDD --out OUT --preset kdd-wide", ExitCodes.BadInput },
        { "score", "--model /nonexistent/model.json DS --out OUT", ExitCodes.BadInput },
        { "score", "--model INCOMPLETE/model.json DS --out OUT", ExitCodes.BadInput },
        { "run", "MISSINGSHARD --out OUT", ExitCodes.BadInput },
        { "report", "INCOMPLETE", ExitCodes.BadInput },
        { "parquet inspect", "NOTKDD", ExitCodes.BadInput },
        { "synth", "--rows 10 --from /nonexistent.csv --out OUT", ExitCodes.BadInput },
        { "serve", "--model /nonexistent/model.json", ExitCodes.BadInput },
        { "bench em", "/nonexistent", ExitCodes.BadInput },
        { "eval", "--protocol seed /nonexistent", ExitCodes.BadInput },
        { "worker", "--config /nonexistent/worker.json --node-name w", ExitCodes.BadInput },
        { "coordinator", "--config /nonexistent/c.json DS --out OUT", ExitCodes.BadInput },
        // the job failed, or could not run
        { "train", "DS --out OUT --k 5000", ExitCodes.Usage },              // more components than rows: refused before the job
        { "run", "DS --out OUT --k 5000", ExitCodes.Usage },
        { "train", "DS --out OUT --train-on-label nosuch", ExitCodes.BadInput }, // no row has that label
        { "run", "DS --out LOCKED", ExitCodes.Failure },                   // the folder is in use
        { "train", "DS --out LOCKED", ExitCodes.Failure },
        { "score", "--model MODEL DS --out LOCKED", ExitCodes.Failure },
        { "ingest", "NOTKDD --out LOCKED", ExitCodes.Failure },
        // a cluster node of its own (a free port, its own seed): no worker joins within the wait
        { "coordinator", "--config LOOPCOORD --port PORT --seed-nodes 127.0.0.1:PORT DS --out OUT --workers 1 --wait-seconds 1", ExitCodes.Failure },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exit_code(string command, string arguments, int expected)
    {
        var outDir = Out(Guid.NewGuid().ToString("N")[..8]);
        var port = LoopbackPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var args = command.Split(' ').Concat(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a
            .Replace("MODEL", _in.Model, StringComparison.Ordinal).Replace("DS", _in.Dataset, StringComparison.Ordinal)
            .Replace("OUT", outDir, StringComparison.Ordinal).Replace("TRUNC", _in.Truncated, StringComparison.Ordinal)
            .Replace("RUNDIR", _in.RunDir, StringComparison.Ordinal)
            .Replace("NOMANIFEST", _in.NoManifest, StringComparison.Ordinal).Replace("INCOMPLETE", _in.Incomplete, StringComparison.Ordinal)
            .Replace("MISSINGSHARD", _in.MissingShard, StringComparison.Ordinal).Replace("NOTKDD", _in.NotKdd, StringComparison.Ordinal)
            .Replace("AFILE", _in.AFile, StringComparison.Ordinal).Replace("LOCKED", _in.Locked, StringComparison.Ordinal)
            .Replace("LOOPCOORD", RepoPaths.InRepo("cluster-config", "loopback", "coordinator.conf"), StringComparison.Ordinal)
            .Replace("PORT", port, StringComparison.Ordinal))).ToArray();

        var r = CliRunner.Run(args);

        Assert.True(expected == r.ExitCode, $"distgmm {string.Join(' ', args)}: exit {r.ExitCode}, expected {expected}: {r.Error}");
        Assert.StartsWith("distgmm: ", Assert.Single(r.ErrorLines, l => !l.StartsWith("distgmm: warning:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", r.Error);
    }

    [Fact]
    public void Failed_runs_are_listed_with_their_status_and_error()
    {
        var store = RunStore.ResolvePath(null);
        Assert.NotEqual(RunTracking.Disabled, store); // tests record runs (scripts/test.sh points DISTGMM_RUNS_DB at its results)
        var badInput = Out("failed-bad-input");
        var failedJob = Out("failed-job");
        Assert.Equal(ExitCodes.BadInput, CliRunner.Run("run", _in.Truncated, "--out", badInput).ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run("train", _in.Dataset, "--out", failedJob, "--k", "5000").ExitCode);

        var list = CliRunner.Run("runs", "list", "--json", "--store", store, "--limit", "1000");
        Assert.Equal(0, list.ExitCode);
        var runs = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().ToList();
        var first = Assert.Single(runs, r => r.GetProperty("outDir").GetString() == badInput);
        Assert.Equal(("run", "failed"), (first.GetProperty("command").GetString(), first.GetProperty("status").GetString()));
        Assert.StartsWith($"exit 3: {_in.Truncated}: truncated gzip file", first.GetProperty("error").GetString());
        var second = Assert.Single(runs, r => r.GetProperty("outDir").GetString() == failedJob);
        Assert.Equal(("train", "failed"), (second.GetProperty("command").GetString(), second.GetProperty("status").GetString()));
        Assert.StartsWith("exit 2: --k: K=5000 is more than the ", second.GetProperty("error").GetString());
        Assert.Empty(second.GetProperty("artifacts").EnumerateObject());

        var table = CliRunner.Run("runs", "list", "--store", store, "--limit", "1000");
        Assert.Contains(table.Out.Split('\n'), l => l.Contains(badInput, StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal)
                                                     && l.Contains("exit 3: ", StringComparison.Ordinal));
    }
}
