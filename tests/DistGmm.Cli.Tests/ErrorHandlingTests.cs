namespace DistGmm.Cli.Tests;

/// <summary>Wrong input gives one clear line on stderr and a documented non-zero exit code, never a stack trace.</summary>
public sealed class ErrorHandlingTests
{
    private static void AssertOneLineError(CliRunner.Result result, int exitCode, params string[] mentions)
    {
        Assert.Equal(exitCode, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("distgmm: ", line);
        foreach (var m in mentions) Assert.Contains(m, line);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void Missing_input_file_names_the_file()
    {
        var r = CliRunner.Run("ingest", "/nonexistent/kdd.csv", "--out", Path.Combine(Path.GetTempPath(), "x"));
        AssertOneLineError(r, ExitCodes.BadInput, "/nonexistent/kdd.csv", "no such file");
    }

    [Fact]
    public void A_directory_where_a_file_is_expected_is_named_as_such()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-dir-").FullName;
        var r = CliRunner.Run("parquet", "inspect", dir);
        AssertOneLineError(r, ExitCodes.BadInput, dir, "is a directory, not a file");
    }

    [Fact]
    public void Directory_without_manifest_says_to_ingest_first()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-empty-").FullName;
        var r = CliRunner.Run("train", dir, "--out", Path.Combine(dir, "out"));
        AssertOneLineError(r, ExitCodes.BadInput, dir, "manifest.json");
    }

    [Fact]
    public void Unknown_preset_lists_the_known_ones()
    {
        var r = CliRunner.Run("bench", "em", RepoPathsData(), "--preset", "no-such-preset");
        AssertOneLineError(r, ExitCodes.Usage, "no-such-preset", "seed", "kdd-wide");
    }

    [Theory]
    [InlineData("ingest", "data/kddcup.data_10_percent.gz", "--out", "/tmp/x", "--shards", "zero")]
    [InlineData("ingest", "data/kddcup.data_10_percent.gz", "--out", "/tmp/x", "--shards", "0")]
    [InlineData("ingest", "data/kddcup.data_10_percent.gz", "--out", "/tmp/x", "--on-bad-row", "ignore")]
    [InlineData("bench", "em", "data", "--covariance", "banana")]
    [InlineData("train", "data", "--out", "/tmp/x", "--no-such-option")]
    public void Invalid_option_values_are_usage_errors(params string[] args)
    {
        var r = CliRunner.Run(args);
        AssertOneLineError(r, ExitCodes.Usage);
    }

    [Fact]
    public void Corrupt_parquet_file_is_one_line_naming_file_and_reason()
    {
        var bad = DistGmm.Testing.RepoPaths.InShared("parquet-testing", "files", "bad", "synthetic", "footer-garbage.parquet");
        var r = CliRunner.Run("parquet", "head", bad);
        AssertOneLineError(r, ExitCodes.BadInput, "footer-garbage.parquet", "deserialize thrift");
    }

    [Fact]
    public void Training_on_a_label_no_row_has_is_refused_before_the_job_naming_the_labels_there_are()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-label-").FullName;
        var r = CliRunner.Run("train", SmallKdd.File3000, "--out", Path.Combine(dir, "out"), "--train-on-label", "nosuch");
        AssertOneLineError(r, ExitCodes.BadInput, $"--train-on-label nosuch: no row of {SmallKdd.File3000} has that label", "normal (");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Theory]
    [InlineData("--k", "3001")]
    [InlineData("--select-k", "1-5000")]
    public void More_components_than_rows_is_refused_before_the_job_naming_the_option(string option, string value)
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-k-").FullName;
        var r = CliRunner.Run("train", SmallKdd.File3000, "--out", Path.Combine(dir, "out"), option, value);
        AssertOneLineError(r, ExitCodes.Usage, option, "3,000 rows");
    }

    [Fact]
    public void A_node_whose_TLS_certificate_is_missing_is_refused_at_start_as_unusable_input()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("distgmm-tls-").FullName, "worker.conf");
        File.WriteAllText(config, File.ReadAllText(DistGmm.Testing.RepoPaths.InRepo("cluster-config", "loopback", "worker.conf")) +
            "\nakka.cluster.seed-nodes = [\"akka.ssl.tcp://distgmm@127.0.0.1:4053\"]" +
            "\ndistgmm.tls { enabled = on, certificate-path = \"/nonexistent/w9.pfx\", ca-certificate-path = \"/nonexistent/ca.crt\" }\n");
        var r = CliRunner.Run("worker", "--config", config, "--node-name", "w9");
        AssertOneLineError(r, ExitCodes.BadInput, "distgmm.tls.certificate-path: /nonexistent/w9.pfx: not found");
    }

    [Fact]
    public void Help_lists_every_command()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var c in new[] { "run", "ingest", "train", "score", "parquet", "synth", "bench" })
            Assert.Contains(c, r.Out);
    }

    private static string RepoPathsData() => DistGmm.Testing.RepoPaths.InRepo("data", "kddcup.data_10_percent.gz");
}
